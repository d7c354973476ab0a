/* vtrack.js: a <video> element's events, posted to vtrack serve as html5 records. */
