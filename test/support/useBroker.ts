/** A real broker for each test of a `describe` that runs doors (test/support/doors.ts). */
import { startBroker, type Broker, type BrokerOptions } from './broker';
import { killLeftoverClocks, requireBuiltCli } from './runCli';

/**
 * For the tests of a `describe`: the built CLI required, a fresh broker for each test, and
 * every door a test left running killed before its broker goes.
 */
export function useBroker(options?: BrokerOptions): () => Broker {
  let broker: Broker | undefined;
  beforeAll(() => {
    requireBuiltCli();
  });
  beforeEach(async () => {
    broker = await startBroker(options);
  });
  afterEach(async () => {
    await killLeftoverClocks();
    await broker?.close();
  });
  return () => {
    if (broker === undefined) throw new Error('no broker outside a test');
    return broker;
  };
}
