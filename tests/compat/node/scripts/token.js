// token-based delivery: cloudinary.url(..., {sign_url: true, auth_token: {key, duration}}) builds a
// URL with ?__cld_token__=exp=…~hmac=… over the URL path; it is served, tampered ones are not
'use strict';
// An acl is matched against the whole URL path, which on Cloudlet starts with /{cloud}.
module.exports = async (cloudinary, { file, key }, { download, md5 }) => {
  const cloud = cloudinary.config().cloud_name;
  const uploaded = await cloudinary.uploader.upload(file, { public_id: 'node/tokened', type: 'authenticated' });
  const url = (id, options = {}) => cloudinary.url(id, {
    type: 'authenticated', sign_url: true, auth_token: { key, duration: 300 }, ...options,
  });
  const get = async (u) => { const r = await download(u); return { url: u, status: r.status, md5: md5(r.body) }; };
  const tokened = url('node/tokened', { format: 'png' });
  const hmac = /hmac=([0-9a-f]+)/.exec(tokened)[1];
  const flipped = hmac.slice(0, -1) + (hmac.endsWith('0') ? '1' : '0');
  return {
    uploaded,
    tokened: await get(tokened),
    derived: await get(url('node/tokened', { format: 'png', width: 8, crop: 'scale' })),
    acl: await get(url('node/tokened', { format: 'png', auth_token: { key, duration: 300, acl: `/${cloud}/image/authenticated/*` } })),
    acl_other: await get(url('node/tokened', { format: 'png', auth_token: { key, duration: 300, acl: [`/${cloud}/video/*`, '/other/*'] } })),
    tampered_hmac: await get(tokened.replace(hmac, flipped)),
    tampered_path: await get(tokened.replace('node/tokened', 'node/other')),
    tampered_exp: await get(tokened.replace(/exp=(\d+)/, (m, e) => `exp=${Number(e) + 1000}`)),
    expired: await get(url('node/tokened', { format: 'png', auth_token: { key, start_time: 1000, duration: 10 } })),
    wrong_key: await get(url('node/tokened', { format: 'png', auth_token: { key: 'ab'.repeat(8), duration: 300 } })),
    no_token: await get(cloudinary.url('node/tokened', { type: 'authenticated', format: 'png' })),
  };
};
