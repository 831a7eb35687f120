import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { s3Client, s3PresignClient } from '../shared/aws-clients';
import { loadContracts, type DatasetContract } from '../shared/contracts';
import { apiHandler, type ApiRequest } from './http';
import { checkBody, EXTENSIONS, MAX_INGEST_BYTES, MEDIA_TYPES, tooLarge } from './ingest-body';
import { jsonResponse, notFound } from './problem';

/** How long a presigned upload URL is valid. */
export const UPLOAD_URL_SECONDS = 900;

let contracts: DatasetContract[] | undefined;

function contractOf(name: string): DatasetContract {
  contracts ??= loadContracts();
  const contract = contracts.find((c) => c.name === name);
  if (!contract) throw notFound('unknown-dataset', `no source dataset '${name}'; datasets: ${contracts.map((c) => c.name).join(', ')}`);
  return contract;
}

function bronzeBucket(): string {
  const bucket = process.env.BRONZE_BUCKET;
  if (!bucket) throw new Error('environment variable BRONZE_BUCKET is not set; the API stack sets it on the ingest function');
  return bucket;
}

/** `<dataset>/<channel>/<UTC date>/<uuid>.<ext>`: a new object for every request, never an overwrite. */
export function bronzeKey(contract: DatasetContract, channel: 'api' | 'uploads', now: Date, gzip = false): string {
  return `${contract.name}/${channel}/${now.toISOString().slice(0, 10)}/${randomUUID()}.${EXTENSIONS[contract.format]}${gzip ? '.gz' : ''}`;
}

async function ingest(request: ApiRequest): Promise<APIGatewayProxyResult> {
  const contract = contractOf(request.pathParameters.dataset);
  if (request.body.length > MAX_INGEST_BYTES) throw tooLarge(request.body.length, contract.name);
  const contentEncoding = request.headers['content-encoding'] ?? '';
  const records = checkBody(contract, request.headers['content-type'] ?? '', request.body, contentEncoding);
  // The bytes as received (a gzip body stays compressed, under a `.gz` key the transform gunzips).
  const key = bronzeKey(contract, 'api', new Date(), contentEncoding.trim().toLowerCase() === 'gzip');
  await s3Client().send(new PutObjectCommand({ Bucket: bronzeBucket(), Key: key, Body: request.body, ContentType: MEDIA_TYPES[contract.format] }));
  return jsonResponse(202, { dataset: contract.name, key, records, bytes: request.body.length });
}

async function upload(request: ApiRequest): Promise<APIGatewayProxyResult> {
  const contract = contractOf(request.pathParameters.dataset);
  const gzip = request.query.gzip?.[0] === 'true';
  const key = bronzeKey(contract, 'uploads', new Date(), gzip);
  // Signed without a checksum of the (absent) body: the uploader's content is not known here.
  const url = await getSignedUrl(s3PresignClient(), new PutObjectCommand({ Bucket: bronzeBucket(), Key: key }), { expiresIn: UPLOAD_URL_SECONDS });
  return jsonResponse(200, { dataset: contract.name, key, method: 'PUT', url, expiresInSeconds: UPLOAD_URL_SECONDS });
}

/** The ingest function: POST /v1/ingest/{dataset} and POST /v1/uploads/{dataset}; it only writes bronze. */
export const handler = apiHandler('ingest', async (request) => (request.route.operationId === 'ingest' ? ingest(request) : upload(request)));
