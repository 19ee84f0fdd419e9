// backups: uploads with backup=true, versions via api.resource(..., {versions: true}), api.restore
// of a chosen version, destroy then restore (newest backup), and an id with no backup
'use strict';
module.exports = async (cloudinary, { first, second }, { download, md5 }) => {
  const out = {};
  out.first = await cloudinary.uploader.upload(first, { public_id: 'node/kept', backup: true });
  out.second = await cloudinary.uploader.upload(second, { public_id: 'node/kept', backup: true });
  out.versions = (await cloudinary.api.resource('node/kept', { versions: true })).versions;
  out.restore_version = await cloudinary.api.restore(['node/kept'], { versions: [out.first.version_id] });
  const served = await download(out.restore_version['node/kept'].secure_url);
  out.restored_served = { status: served.status, md5: md5(served.body) };
  out.destroy = await cloudinary.uploader.destroy('node/kept');
  out.after_destroy = (await download(cloudinary.url('node/kept', { format: 'png', version: out.restore_version['node/kept'].version }))).status;
  out.restore_deleted = await cloudinary.api.restore(['node/kept', 'node/never_backed_up']);
  const back = await download(out.restore_deleted['node/kept'].secure_url);
  out.back_served = { status: back.status, md5: md5(back.body) };
  return out;
};
