// explicit with eager; the SDK-built https URLs of the original and the derivative download
'use strict';
module.exports = async (cloudinary, { file }, { download, md5 }) => {
  const uploaded = await cloudinary.uploader.upload(file, { public_id: 'node/eager' });
  const explicit = await cloudinary.uploader.explicit('node/eager', { type: 'upload', eager: [{ width: 20, crop: 'scale' }] });
  const original = cloudinary.url('node/eager', { format: 'png', version: uploaded.version });
  const derived = cloudinary.url('node/eager', { format: 'png', width: 20, crop: 'scale' });
  const got = await download(original);
  const gotDerived = await download(derived);
  return {
    uploaded, explicit, original, derived,
    original_status: got.status, original_md5: md5(got.body),
    derived_status: gotDerived.status, derived_bytes: gotDerived.body.toString('base64'),
  };
};
