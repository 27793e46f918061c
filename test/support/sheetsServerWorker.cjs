/* global __dirname */
/**
 * The test Sheets server (sheetsTestServer.ts) in a worker thread: its data
 * and its sockets live in their own V8 heap and event loop, so a soak can
 * measure the clock's memory and handles alone, and the server answers on the
 * other core. Started by sheetsServerThread.ts; the server's TypeScript is
 * transpiled here, so no build is needed. Messages: `{ id, method, args }` in,
 * `{ id, result }` or `{ id, error }` out.
 */
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const { parentPort } = require('node:worker_threads');
const ts = require('typescript');

/**
 * TypeScript files load as CommonJS, transpiled when required: the server and
 * the spreadsheet model it imports (they import only node: modules and each other).
 */
Module._extensions['.ts'] = (loaded, file) => {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  });
  loaded._compile(outputText, file);
};

const { SheetsTestServer } = require(join(__dirname, 'sheetsTestServer.ts'));
/** The model's edits a person makes, callable from the test thread. */
const EDITS = new Set([
  'addTab',
  'sortRows',
  'insertRows',
  'deleteRow',
  'setCell',
  'addColumn',
  'renameHeader',
  'clearDataRows',
]);
let server = null;

const handlers = {
  async start() {
    server = await new SheetsTestServer().start();
    return server.rootUrl;
  },
  serviceAccount: (dir) => server.serviceAccount(dir),
  createSpreadsheet: (id, sharedWith) => server.createSpreadsheet(id, sharedWith),
  /** Writes rows of cells from a 1-based row on, as a person typing them would. */
  setRows(id, title, firstRow, rows) {
    rows.forEach((row, i) => {
      row.forEach((value, column) => {
        server.setCell(id, title, firstRow + i, column, value);
      });
    });
  },
  values: (id, title) => server.values(id, title),
  edit(name, args) {
    if (!EDITS.has(name)) throw new Error(`not an edit: ${name}`);
    return server.model[name](...args);
  },
  setQuota: (quota) => server.model.setQuota(quota ?? undefined),
  tabTitles: (id) => server.tabTitles(id),
  /** What the server has seen, and its own heap, for the soak's figures. */
  stats() {
    let failed = 0;
    let writes = 0;
    for (const request of server.requests) {
      if (request.status !== 200) failed += 1;
      if (request.kind === 'write') writes += 1;
    }
    return {
      requests: server.requests.length,
      writes,
      failed,
      inFlight: server.inFlight,
      bytesOut: { ...server.model.bytesOut },
      heapUsed: process.memoryUsage().heapUsed,
    };
  },
  async close() {
    if (server !== null) await server.close();
  },
};

parentPort.on('message', ({ id, method, args }) => {
  Promise.resolve()
    .then(() => handlers[method](...args))
    .then(
      (result) => parentPort.postMessage({ id, result }),
      (error) =>
        parentPort.postMessage({ id, error: error instanceof Error ? error.stack : String(error) }),
    );
});
