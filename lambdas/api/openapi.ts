import type { OpenAPIObject, OperationObject, ParameterObject, PathsObject, ResponsesObject, SchemaObject } from 'openapi3-ts/oas30';
import type { DatasetContract, GoldContract } from '../shared/contracts';
import { goldColumns } from './sources';
import { ROUTES } from './routes';

export const API_TITLE = 'medallion-platform HTTP API';
export const API_VERSION = '1.0.0';

/** JSON Schema of an API value of a column, as rows return it. */
export function valueSchema(logicalType: string, physicalType: string): SchemaObject {
  switch (logicalType) {
    case 'integer':
      return { type: 'integer', nullable: true };
    case 'number':
      return physicalType.startsWith('decimal') ? { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$', nullable: true, description: `${physicalType}, exact, as a string` } : { type: 'number', nullable: true };
    case 'boolean':
      return { type: 'boolean', nullable: true };
    case 'date':
      return { type: 'string', format: 'date', nullable: true };
    case 'timestamp':
      return { type: 'string', format: 'date-time', nullable: true, description: 'UTC, YYYY-MM-DDTHH:MM:SS.sssZ' };
    default:
      return { type: 'string', nullable: true };
  }
}

const problemSchema: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json)',
  required: ['type', 'title', 'status', 'detail', 'instance'],
  properties: {
    type: { type: 'string', example: 'urn:medallion:problem:unknown-column' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'What was wrong, where, and how to fix it' },
    instance: { type: 'string', description: 'The request path' },
    queryId: { type: 'string', description: '504: the handle of the query still running' },
    resultUrl: { type: 'string', description: '504: where to fetch the result later' },
    uploadRoute: { type: 'string', description: '413: the route for large files' },
  },
};

const columnSchema: SchemaObject = {
  type: 'object',
  required: ['name', 'type'],
  properties: { name: { type: 'string' }, type: { type: 'string', description: 'Physical type: bigint, decimal(18,2), date, timestamp, …' } },
};

/**
 * The OpenAPI 3 document of the API, generated from the route table and the contracts (dataset names,
 * row schemas). `npm run openapi` writes it to `openapi/openapi.json`; a test fails when that file is stale.
 */
export function openApiDocument(gold: readonly GoldContract[], sources: readonly DatasetContract[]): OpenAPIObject {
  const paths: PathsObject = {};
  for (const route of ROUTES) {
    const parameters: ParameterObject[] = route.parameters.map((p) => {
      let schema = p.schema;
      if (p.in === 'path' && p.name === 'name') schema = { ...schema, enum: gold.map((c) => c.name) };
      if (p.in === 'path' && p.name === 'dataset') schema = { ...schema, enum: sources.map((c) => c.name) };
      return { name: p.name, in: p.in, required: p.required, description: p.description, schema };
    });
    if (route.columnFilters) {
      parameters.push({
        name: 'filters',
        in: 'query',
        required: false,
        description: 'Any column of the dataset as a parameter name: `col=value`, `col=in:a,b`, `col=ne:v`, `col=gte:v` (also gt, lt, lte). Repeat to combine with AND.',
        style: 'form',
        explode: true,
        schema: { type: 'object', additionalProperties: { type: 'string' } },
      });
    }
    const responses: ResponsesObject = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const mediaType = r.schema === 'Problem' ? 'application/problem+json' : 'application/json';
      responses[status] = { description: r.description, content: { [mediaType]: { schema: { $ref: `#/components/schemas/${r.schema}` } } } };
    }
    const operation: OperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: route.description,
      tags: [route.function],
      parameters,
      responses,
      ...(route.body
        ? { requestBody: { required: route.body.required, description: route.body.description, content: Object.fromEntries(route.body.contentTypes.map((t) => [t, { schema: { type: 'string' } }])) } }
        : {}),
    };
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  const rowSchemas = Object.fromEntries(
    gold.map((c) => [
      `Row_${c.name}`,
      { type: 'object', description: c.description, properties: Object.fromEntries(goldColumns(c).map((col) => [col.name, { ...valueSchema(col.logicalType, col.physicalType), ...(col.description ? { description: col.description } : {}) }])) } as SchemaObject,
    ]),
  );
  return {
    openapi: '3.0.3',
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description:
        'Read Gold datasets with filters and pagination, and push data into bronze. Errors are RFC 9457 problem+json. Authorization: AWS SigV4 (IAM) by default; an API key when the stage config says so.',
    },
    security: [{ sigv4: [] }],
    paths,
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (IAM authorization, execute-api:Invoke)', 'x-amazon-apigateway-authtype': 'awsSigv4' },
        apiKey: { type: 'apiKey', name: 'x-api-key', in: 'header', description: 'API key of a usage plan (stages with api.apiKeyRequired)' },
      },
      schemas: {
        Problem: problemSchema,
        Column: columnSchema,
        DatasetList: {
          type: 'object',
          properties: {
            datasets: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  description: { type: 'string' },
                  rowsUrl: { type: 'string' },
                  columns: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' }, logicalType: { type: 'string' }, required: { type: 'boolean' }, description: { type: 'string' } } } },
                },
              },
            },
          },
        },
        RowsPage: {
          type: 'object',
          required: ['columns', 'rows', 'nextToken'],
          properties: {
            columns: { type: 'array', items: { $ref: '#/components/schemas/Column' } },
            rows: { type: 'array', items: { type: 'object', description: 'Column name to value; see the Row_<dataset> schemas' } },
            nextToken: { type: 'string', nullable: true, description: 'Send as nextToken for the next page; null on the last page' },
          },
        },
        QueryStatus: { type: 'object', properties: { queryId: { type: 'string' }, status: { type: 'string', enum: ['RUNNING'] }, resultUrl: { type: 'string' } } },
        IngestAccepted: { type: 'object', properties: { dataset: { type: 'string' }, key: { type: 'string' }, records: { type: 'integer' }, bytes: { type: 'integer' } } },
        Upload: {
          type: 'object',
          properties: { dataset: { type: 'string' }, key: { type: 'string' }, method: { type: 'string', enum: ['PUT'] }, url: { type: 'string' }, expiresInSeconds: { type: 'integer' } },
        },
        OpenApiDocument: { type: 'object', description: 'This document' },
        ...rowSchemas,
      },
    },
  };
}
