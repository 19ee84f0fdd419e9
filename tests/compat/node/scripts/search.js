// Search API: the Search builder (expression, sort_by, max_results, next_cursor, with_field,
// fields, aggregate), SearchFolders, and the signed URL of to_url fetched over HTTPS.
'use strict';
module.exports = async (cloudinary, { file, tag }, { download, settle }) => {
  for (const name of ['one_red', 'two_blue', 'three_red']) {
    await cloudinary.uploader.upload(file, { public_id: `node/s/${tag}/${name}`, tags: [tag, name.split('_')[1]], context: `color=${name.split('_')[1]}` });
  }
  const ids = (r) => r.resources.map((x) => x.public_id);
  const pages = [];
  let cursor;
  do {
    let search = cloudinary.search.expression(`tags=${tag}`).sort_by('public_id', 'asc').max_results(2);
    if (cursor) search = search.next_cursor(cursor);
    const page = await search.execute();
    pages.push({ ids: ids(page), total_count: page.total_count });
    cursor = page.next_cursor;
  } while (cursor);
  const detailed = await cloudinary.search.expression(`tags=${tag} AND context.color:red`)
    .sort_by('public_id').with_field('tags').with_field('context').aggregate('format').execute();
  const limited = await cloudinary.search.expression(`tags=${tag}`).fields(['tags']).max_results(1).execute();
  const counted = await cloudinary.search.expression(`tags=${tag}`).max_results(0)
    .aggregate({ type: 'bytes', ranges: [{ key: 'small', to: 10 }, { key: 'big', from: 10 }] }).execute();
  const folders = await cloudinary.search_folders.expression(`path:node/s/${tag}*`).execute();
  const signed = cloudinary.search.expression(`tags=${tag} AND red`).sort_by('public_id', 'asc').max_results(1);
  const url = signed.to_url();
  const first = await download(url);
  const firstBody = JSON.parse(first.body.toString());
  const second = await download(signed.to_url(undefined, firstBody.next_cursor));
  const bad = await settle(cloudinary.search.expression('tags=(oops').execute());
  return {
    pages,
    detailed,
    limited: limited.resources,
    counted,
    folders,
    url,
    by_url: { status: first.status, ids: ids(firstBody), next: ids(JSON.parse(second.body.toString())) },
    bad,
  };
};
