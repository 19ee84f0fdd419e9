// rename, destroy, tags (add/remove/replace/remove all), context (add/remove all), text
'use strict';
module.exports = async (cloudinary, { file }) => {
  for (const id of ['node/m/a', 'node/m/b', 'node/m/gone']) {
    await cloudinary.uploader.upload(file, { public_id: id, tags: ['start'] });
  }
  return {
    rename: await cloudinary.uploader.rename('node/m/a', 'node/m/renamed'),
    destroy: await cloudinary.uploader.destroy('node/m/gone'),
    destroy_missing: await cloudinary.uploader.destroy('node/m/never'),
    add_tag: await cloudinary.uploader.add_tag('blue', ['node/m/renamed', 'node/m/b']),
    remove_tag: await cloudinary.uploader.remove_tag('start', ['node/m/renamed']),
    replace_tag: await cloudinary.uploader.replace_tag('only', ['node/m/b']),
    remove_all_tags: await cloudinary.uploader.remove_all_tags(['node/m/renamed']),
    add_context: await cloudinary.uploader.add_context({ alt: 'A b|c', caption: 'x=y' }, ['node/m/b']),
    add_context2: await cloudinary.uploader.add_context('mood=calm', ['node/m/renamed']),
    remove_all_context: await cloudinary.uploader.remove_all_context(['node/m/renamed']),
    text: await cloudinary.uploader.text('Hello Node', { public_id: 'node/m/text', font_family: 'Arial', font_size: 24 }),
  };
};
