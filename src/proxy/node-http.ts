// Node's HTTP/1 module, for the few parts of the proxy that use it (status texts, method names, the
// admin server, upgrade requests upstream). Taken with process.getBuiltinModule rather than an ES
// import: an ES import of node:http builds its namespace from every export, and reading the lazy
// `WebSocket` one loads Node's bundled undici: 3–4 MiB in every sidecar, for nothing.
export const nodeHttp = process.getBuiltinModule('node:http');
