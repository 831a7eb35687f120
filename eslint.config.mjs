import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out*/', 'coverage/', '.venv/', '.venv-localstack/', '.venv-local/', 'dist/', 'local-out/', 'scratch/', '.scratch/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Runtime code is bundled into Lambda functions: it must never pull in the CDK.
    files: ['lambdas/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag', '../../lib/*', '../../../lib/*'], message: 'lambdas/ is runtime code and must not import the CDK or lib/.' }] }],
    },
  },
  {
    // Tests walk synthesized CloudFormation JSON, whose shape has no useful static type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  { files: ['**/*.mjs', '**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly', module: 'writable' } } },
  {
    // The bundle smoke tests' Lambda runtime client: CommonJS run by Node.js 24, loading handlers with require() as the Node.js runtime does.
    // and the package test's consumer app, plain CommonJS as a team's app.js would be.
    files: ['**/*.cjs', 'test/package/consumer/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', fetch: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
