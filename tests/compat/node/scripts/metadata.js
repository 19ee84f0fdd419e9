// structured metadata: add_metadata_field (a set field with a datasource too; a duplicate
// external_id is refused), values on upload, update_metadata and update, a bad value refused
// with the field named, delete_metadata_field
'use strict';
module.exports = async (cloudinary, { file }, { settle }) => {
  const colors = [{ external_id: 'red', value: 'Red' }, { external_id: 'blue', value: 'Blue' }];
  const out = {};
  out.pages = await cloudinary.api.add_metadata_field({
    external_id: 'node_pages', label: 'Pages', type: 'integer', validation: { type: 'less_than', value: 1000 },
  });
  out.colors = await cloudinary.api.add_metadata_field({
    external_id: 'node_colors', label: 'Colors', type: 'set', datasource: { values: colors },
  });
  out.duplicate = await settle(cloudinary.api.add_metadata_field({ external_id: 'node_pages', label: 'Again', type: 'string' }));
  out.upload = await cloudinary.uploader.upload(file, { public_id: 'node/meta', metadata: { node_pages: 7, node_colors: ['blue'] } });
  out.update_metadata = await cloudinary.uploader.update_metadata({ node_colors: ['red', 'blue'] }, ['node/meta']);
  out.update = await cloudinary.api.update('node/meta', { metadata: { node_pages: 12 } });
  out.bad_update = await settle(cloudinary.api.update('node/meta', { metadata: { node_pages: 5000 }, tags: ['bad'] }));
  out.bad_upload = await settle(cloudinary.uploader.upload(file, { public_id: 'node/meta_bad', metadata: { node_colors: ['green'] } }));
  out.bad_update_metadata = await settle(cloudinary.uploader.update_metadata({ node_colors: ['green'] }, ['node/meta']));
  out.stored = (await cloudinary.api.resource('node/meta')).metadata;
  out.fields = (await cloudinary.api.list_metadata_fields()).metadata_fields.map((f) => f.external_id);
  out.delete_pages = await cloudinary.api.delete_metadata_field('node_pages');
  out.delete_colors = await cloudinary.api.delete_metadata_field('node_colors');
  out.delete_missing = await settle(cloudinary.api.delete_metadata_field('node_pages'));
  return out;
};
