/**
 * Preloaded (`node --require`) into the real clock by the crash test: it
 * SIGKILLs the process at a chosen kind of point, at random, so the test can
 * hit the windows a timed external kill rarely lands in.
 *
 *   CRASH_MODE=commit    — after a statement inside a commit's transaction
 *   CRASH_MODE=feedback  — after a commit, just before its feedback is written
 *   CRASH_PROBABILITY    — chance per point (default 0.2)
 */
'use strict';
const mode = process.env.CRASH_MODE;
const probability = Number(process.env.CRASH_PROBABILITY ?? '0.2');
const die = () => {
  if (Math.random() < probability) process.kill(process.pid, 'SIGKILL');
};

if (mode === 'commit') {
  const Database = require('better-sqlite3');
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function patchedPrepare(sql) {
    const statement = prepare.call(this, sql);
    if (/^\s*(INSERT|UPDATE)/i.test(sql)) {
      const run = statement.run;
      statement.run = function patchedRun(...args) {
        const result = run.apply(this, args);
        die();
        return result;
      };
    }
    return statement;
  };
} else if (mode === 'feedback') {
  const write = process.stdout.write;
  process.stdout.write = function patchedWrite(...args) {
    die();
    return write.apply(this, args);
  };
}
