// resources listings: all (both directions, start_at as a Date), by tag, ids, asset ids, context
'use strict';
module.exports = async (cloudinary, { file }) => {
  const a = await cloudinary.uploader.upload(file, { public_id: 'node/l/a', tags: ['listed'], context: 'k=v1' });
  const b = await cloudinary.uploader.upload(file, { public_id: 'node/l/b', tags: ['listed'], context: 'k=v2' });
  const ids = (r) => r.resources.map((x) => x.public_id);
  return {
    prefix_asc: ids(await cloudinary.api.resources({ type: 'upload', prefix: 'node/l/', direction: 'asc' })),
    tag_asc: ids(await cloudinary.api.resources_by_tag('listed', { direction: 'asc' })),
    tag_desc: ids(await cloudinary.api.resources_by_tag('listed', { direction: -1 })),
    start_at: ids(await cloudinary.api.resources({ type: 'upload', prefix: 'node/l/', start_at: new Date(Date.now() - 3600e3), direction: 'asc' })),
    start_at_future: ids(await cloudinary.api.resources({ type: 'upload', prefix: 'node/l/', start_at: new Date(Date.now() + 3600e3), direction: 'asc' })),
    paged: await cloudinary.api.resources({ type: 'upload', prefix: 'node/l/', max_results: 1 }),
    by_tag: ids(await cloudinary.api.resources_by_tag('listed', { tags: true })),
    by_ids: await cloudinary.api.resources_by_ids(['node/l/a', 'node/l/b'], { context: true }),
    by_asset_ids: ids(await cloudinary.api.resources_by_asset_ids([a.asset_id, b.asset_id])),
    by_asset_id: (await cloudinary.api.resource_by_asset_id(a.asset_id)).public_id,
    by_context: ids(await cloudinary.api.resources_by_context('k', 'v2')),
    by_context_key: ids(await cloudinary.api.resources_by_context('k')),
    resource: await cloudinary.api.resource('node/l/a'),
    tags: (await cloudinary.api.tags({ prefix: 'list' })).tags,
    update: await cloudinary.api.update('node/l/b', { tags: ['updated', 'two'], context: 'alt=new' }),
  };
};
