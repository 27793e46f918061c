/**
 * The store's connection as its modules use it: each SQL statement prepared
 * once, on first use, and kept; and the one kind of transaction the store
 * runs (IMMEDIATE: the write lock is taken at its start, not at its first write).
 */
import type Database from 'better-sqlite3';

/** A connection with a cache of prepared statements, keyed by their SQL. */
export class Statements {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** The statement for `sql`, prepared on first use. */
  stmt<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Database.Statement<P, R>;
  }

  /** Runs `work` in one transaction: all of it, or none of it. */
  transaction(work: () => void): void {
    this.db.transaction(work).immediate();
  }
}
