// ping, usage (today and by a Date: /usage/dd-MM-yyyy), config, resource types
'use strict';
module.exports = async (cloudinary) => ({
  ping: await cloudinary.api.ping(),
  usage: await cloudinary.api.usage(),
  usage_by_date: await cloudinary.api.usage({ date: new Date(Date.UTC(2025, 10, 26)) }),
  config: await cloudinary.api.config({ settings: true }),
  resource_types: await cloudinary.api.resource_types(),
});
