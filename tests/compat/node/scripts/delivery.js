// signed delivery URLs (sign_url) for authenticated assets, and what an unsigned URL gets
'use strict';
module.exports = async (cloudinary, { file }, { download, md5 }) => {
  const uploaded = await cloudinary.uploader.upload(file, { public_id: 'node/private', type: 'authenticated' });
  const signed = cloudinary.url('node/private', { type: 'authenticated', sign_url: true, format: 'png', version: uploaded.version });
  const signedDerived = cloudinary.url('node/private', { type: 'authenticated', sign_url: true, format: 'png', width: 8, crop: 'scale' });
  const unsigned = cloudinary.url('node/private', { type: 'authenticated', format: 'png', version: uploaded.version });
  const tampered = signed.replace('node/private', 'node/other');
  const get = async (url) => { const r = await download(url); return { url, status: r.status, md5: md5(r.body) }; };
  return { uploaded, signed: await get(signed), signed_derived: await get(signedDerived), unsigned: await get(unsigned), tampered: await get(tampered) };
};
