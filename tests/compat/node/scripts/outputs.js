// tag outputs: generate_sprite (image, css and json URLs fetched), multi (gif and pdf), create_zip,
// create_archive, and the signed download_zip_url / download_archive_url (fetched)
'use strict';
module.exports = async (cloudinary, { files }, { download, settle }) => {
  for (const [name, file] of Object.entries(files)) {
    await cloudinary.uploader.upload(file, { public_id: `node_o/${name}`, tags: ['node_o'] });
  }
  const fetched = async (url) => {
    const r = await download(url);
    return { url, status: r.status, type: r.headers['content-type'], disposition: r.headers['content-disposition'], bytes: r.body.toString('base64') };
  };
  const out = {};
  out.sprite = await cloudinary.uploader.generate_sprite('node_o');
  out.sprite_image = await fetched(out.sprite.secure_image_url);
  out.sprite_css = await fetched(out.sprite.secure_css_url);
  out.sprite_json = await fetched(out.sprite.json_url.replace(/^http:/, 'https:'));
  out.gif = await cloudinary.uploader.multi('node_o', { format: 'gif', delay: 300 });
  out.gif_file = await fetched(out.gif.secure_url);
  out.pdf = await cloudinary.uploader.multi('node_o', { format: 'pdf' });
  out.pdf_file = await fetched(out.pdf.secure_url);
  out.zip = await cloudinary.uploader.create_zip({ tags: ['node_o'], target_public_id: 'node_o_all', target_tags: ['node_zips'] });
  out.zip_file = await fetched(out.zip.secure_url);
  out.archive = await cloudinary.uploader.create_archive({
    public_ids: ['node_o/a', 'node_o/b'], transformations: [{ width: 10, crop: 'scale' }], flatten_folders: true,
  });
  out.archive_file = await fetched(out.archive.secure_url);
  const raw = async () => (await cloudinary.api.resources({ resource_type: 'raw', max_results: 500 })).resources.map((r) => r.public_id);
  out.raw_before = await raw();
  out.missing_zip = await settle(cloudinary.uploader.create_zip({ public_ids: ['node_o/a', 'node_o/none'] }));
  out.raw_after = await raw();
  out.download_zip_url = cloudinary.utils.download_zip_url({ prefixes: ['node_o/'], flatten_folders: true });
  out.download_zip = await fetched(out.download_zip_url);
  out.download_archive_url = cloudinary.utils.download_archive_url({
    tags: ['node_o'], target_format: 'zip', transformations: [{ width: 5, crop: 'scale' }], skip_transformation_name: true,
  });
  out.download_archive = await fetched(out.download_archive_url);
  out.download_tampered = await fetched(out.download_zip_url.replace(/signature=[0-9a-f]+/, `signature=${'0'.repeat(40)}`));
  return out;
};
