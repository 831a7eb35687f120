/**
 * A handler's required environment variable (set by its construct in AWS, by the local platform locally).
 * @throws Error naming the variable when it is unset or empty
 */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
