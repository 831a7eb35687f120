import { createServer } from 'node:http';
import { forwardRequest, listenOnLoopback } from '../http-forward';

/**
 * Column statistics operations moto does not implement, with the answer Glue gives when there are none:
 * Trino reads and writes them around a CREATE TABLE AS (the local UNLOAD).
 */
const NO_COLUMN_STATISTICS: Readonly<Record<string, unknown>> = {
  'AWSGlue.GetColumnStatisticsForTable': { ColumnStatisticsList: [], Errors: [] },
  'AWSGlue.GetColumnStatisticsForPartition': { ColumnStatisticsList: [], Errors: [] },
  'AWSGlue.UpdateColumnStatisticsForTable': { Errors: [] },
  'AWSGlue.UpdateColumnStatisticsForPartition': { Errors: [] },
  'AWSGlue.DeleteColumnStatisticsForTable': {},
  'AWSGlue.DeleteColumnStatisticsForPartition': {},
};

/**
 * A proxy on 127.0.0.1 in front of the emulator's Glue for the local Trino, for what moto lacks: Trino
 * reads a partitioned table with `GetPartitions` and an empty `Expression`, which Glue accepts and moto
 * refuses ("Unsupported expression ''"), so the proxy drops an empty Expression; column statistics
 * operations, which moto does not implement, are answered as Glue answers when there are none. Everything
 * else is forwarded unchanged.
 * @returns the proxy's endpoint and a function that stops it
 */
export async function startGlueProxy(target: string): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target']);
      if (operation in NO_COLUMN_STATISTICS) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(NO_COLUMN_STATISTICS[operation]));
        return;
      }
      if (operation === 'AWSGlue.GetPartitions') {
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        if (input.Expression === '') {
          delete input.Expression;
          body = Buffer.from(JSON.stringify(input));
        }
      }
      forwardRequest(req, res, upstream, 'Glue proxy', body);
    });
  });
  return listenOnLoopback(server);
}
