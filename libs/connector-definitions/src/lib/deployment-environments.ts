import type { DeploymentEnvironment } from './definition.types';

/** The deployment environments a definition may carry `env_<env>_params` for (FLOW_ENV values). */
export const DEPLOYMENT_ENVIRONMENTS: readonly DeploymentEnvironment[] = ['local', 'development', 'staging', 'pre_prod', 'production'];

/** Whether a string names a deployment environment. */
export function isDeploymentEnvironment(value: string): value is DeploymentEnvironment {
  return (DEPLOYMENT_ENVIRONMENTS as readonly string[]).includes(value);
}

/** The definition field holding an environment's variable overrides (`env_production_params`). */
export function environmentParamsField(env: DeploymentEnvironment): `env_${DeploymentEnvironment}_params` {
  return `env_${env}_params`;
}
