// Package web holds flowapp's browser page: the HTML, script and style the
// backend serves. The Prove web SDK itself is not embedded: it is installed
// from npm into node_modules (see package.json) and served unmodified.
package web

import "embed"

// FS holds the page and its assets.
//
//go:embed index.html landing.html api.js app.js app.css signin.html signin.js
var FS embed.FS
