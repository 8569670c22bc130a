// Imports a test client by name from here, so Node resolves it in test/clients/node_modules
// (test/helpers/clients.ts; ESM-only packages such as pi have no require() entry to resolve).
export const load = (name) => import(name)
