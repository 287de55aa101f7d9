// A Node.js https server for the interop tests, with Node's defaults
// (keep-alive, allowHalfOpen false): it serves files from a document root
// with a Content-Length.
//
//	node server.js PORT CERT.pem KEY.pem DOCROOT
'use strict';
const fs = require('fs');
const https = require('https');
const path = require('path');

const [port, cert, key, root] = process.argv.slice(2);
const server = https.createServer({cert: fs.readFileSync(cert), key: fs.readFileSync(key)}, (req, res) => {
  fs.readFile(path.join(root, path.normalize(req.url)), (err, body) => {
    if (err) {
      res.writeHead(404, {'Content-Length': 0});
      res.end();
      return;
    }
    res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': body.length});
    res.end(body);
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening on ' + server.address().port));
