// `node --import ./register.mjs …`: logs every module the process resolves, one URL a line, to the file
// LOGBUS_MODULE_LOG names (written by the hooks as they resolve, so nothing is lost when the process exits).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
