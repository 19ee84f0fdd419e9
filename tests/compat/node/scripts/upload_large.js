// uploader.upload_large: chunks of 5.5 MB with Content-Range ".../-1" until the last, a small
// file in one chunk, and the two errors the SDK's own tests expect
'use strict';
module.exports = async (cloudinary, { big, small, empty }, { settle }) => {
  const large = (file, options) => new Promise((resolve) => {
    cloudinary.uploader.upload_large(file, options, (error, result) => resolve(error ? { sdk_error: error } : result));
  });
  return {
    chunked: await large(big, { public_id: 'node/large', chunk_size: 5500000 }),
    small: await large(small, { public_id: 'node/small_large.png' }),
    image: await large(small, { public_id: 'node/large_image', resource_type: 'image' }),
    too_small_chunks: await large(big, { public_id: 'node/refused', chunk_size: 40000 }),
    empty: await large(empty, { public_id: 'node/empty' }),
  };
};
