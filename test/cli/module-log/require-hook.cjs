// `node --require ./require-hook.cjs …`: logs every module a CommonJS `require` loads (the bin is CommonJS,
// and Node 20's module hooks see import() only), one URL a line, to the file LOGBUS_MODULE_LOG names:
// a builtin as `node:<name>`, a file as its file: URL, as hooks.mjs logs what import() resolves.
const { appendFileSync } = require('node:fs')
const Module = require('node:module')
const { pathToFileURL } = require('node:url')

const require_ = Module.prototype.require
Module.prototype.require = function (id) {
  const resolved = Module.createRequire(this.filename).resolve(id)
  const url = Module.isBuiltin(resolved)
    ? `node:${resolved.replace(/^node:/, '')}`
    : pathToFileURL(resolved).href
  appendFileSync(process.env.LOGBUS_MODULE_LOG, `${url}\n`)
  return require_.call(this, id)
}
