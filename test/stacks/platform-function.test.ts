import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PlatformFunction } from '../../lib/runtime/platform-function';

describe('PlatformFunction defaults', () => {
  const app = new App();
  const stack = new Stack(app, 'Functions');
  new PlatformFunction(stack, 'Echo', { source: { name: 'echo', entry: join(__dirname, '..', 'fixtures', 'echo-handler.ts') } });
  const template = Template.fromStack(stack);

  it('runs Node.js 24 on arm64 with JSON logs, tracing and source maps', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON' },
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('bundles locally with esbuild into one minified CommonJS file with a source map', () => {
    const assembly = app.synth();
    const assetDir = readdirSync(assembly.directory).find((d) => d.startsWith('asset.'));
    expect(assetDir).toBeDefined();
    const files = readdirSync(join(assembly.directory, assetDir!)).sort();
    expect(files).toEqual(['index.js', 'index.js.map']);
    const code = readFileSync(join(assembly.directory, assetDir!, 'index.js'), 'utf8');
    expect(code).toContain('exports');
    expect(code.split('\n').length).toBeLessThan(5);
  });
});
