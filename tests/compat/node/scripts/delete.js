// delete_resources (ids), by prefix, by tag, all (in a cloud of its own), derived resources
'use strict';
module.exports = async (cloudinary, { file, other }) => {
  const up = (id, options = {}) => cloudinary.uploader.upload(file, { public_id: id, ...options });
  for (const id of ['node/d/ids1', 'node/d/ids2', 'node/d/keep', 'node/p/x1', 'node/p/x2']) await up(id);
  await up('node/d/t1', { tags: ['doomed'] });
  await up('node/d/t2', { tags: ['doomed'] });
  const eager = await up('node/d/derived', { eager: [{ width: 10, crop: 'scale' }, { width: 12, crop: 'scale' }] });
  const derivedIds = (await cloudinary.api.resource('node/d/derived')).derived.map((d) => d.id);
  const result = {
    eager,
    ids: await cloudinary.api.delete_resources(['node/d/ids1', 'node/d/ids2', 'node/d/missing']),
    prefix: await cloudinary.api.delete_resources_by_prefix('node/p/'),
    tag: await cloudinary.api.delete_resources_by_tag('doomed'),
    derived: await cloudinary.api.delete_derived_resources(derivedIds.slice(0, 1)),
    derived_ids: derivedIds,
  };
  cloudinary.config({ cloud_name: other.cloud, api_key: other.key, api_secret: other.secret });
  await up('node/all1');
  await up('node/all2');
  result.all = await cloudinary.api.delete_all_resources();
  return result;
};
