// Runs one capability script against the Cloudlet named by CLOUDINARY_URL and prints its JSON.
// usage: node run.js <script name> '<JSON arguments>'
// Each script exports async (cloudinary, args, tools) => result; an SDK error becomes
// {"sdk_error": {...}} so the Python test can check the message and http_code.
'use strict';
const fs = require('fs');
const https = require('https');
const path = require('path');
const cloudinary = require('cloudinary').v2;

function download(url) {
  return new Promise((resolve, reject) => {
    https.get(url, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

function md5(buffer) {
  return require('crypto').createHash('md5').update(buffer).digest('hex');
}

function settle(promise) {
  return promise.then((value) => value, (error) => ({ sdk_error: error.error || error }));
}

async function main() {
  const [name, rawArgs] = process.argv.slice(2);
  const script = require(path.join(__dirname, 'scripts', `${name}.js`));
  const args = JSON.parse(rawArgs || '{}');
  const result = await script(cloudinary, args, { download, md5, settle, fs });
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ sdk_error: error.error || error, message: String(error && error.message) }));
  process.exitCode = 1;
});
