// uploader.upload from a path, a data URI; upload_stream from a buffer and from a file stream
'use strict';
module.exports = async (cloudinary, { file }, { fs }) => {
  const viaStream = (source, options) => new Promise((resolve, reject) => {
    const sink = cloudinary.uploader.upload_stream(options, (error, result) => (error ? reject(error) : resolve(result)));
    if (Buffer.isBuffer(source)) sink.end(source); else source.pipe(sink);
  });
  const bytes = fs.readFileSync(file);
  return {
    path: await cloudinary.uploader.upload(file, { public_id: 'node/path', tags: ['node', 'path'] }),
    data_uri: await cloudinary.uploader.upload(`data:image/png;base64,${bytes.toString('base64')}`, { public_id: 'node/data_uri' }),
    buffer: await viaStream(bytes, { public_id: 'node/buffer' }),
    stream: await viaStream(fs.createReadStream(file), { public_id: 'node/stream', context: { alt: 'a stream' } }),
    latin1: await cloudinary.uploader.upload(args_latin1(file, fs), { use_filename: true, unique_filename: false }),
  };
};

function args_latin1(file, fs) {
  // a non-ASCII file name goes out Latin-1 encoded in the multipart header
  const copy = require('path').join(require('os').tmpdir(), `caf\u00e9-${process.pid}.png`);
  fs.copyFileSync(file, copy);
  return copy;
}
