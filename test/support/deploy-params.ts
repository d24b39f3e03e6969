// The parameters a real deploy must give (neither stack presets trusted accounts outside the
// local cloud): the demo accounts, for tests that load or package a stack at another stage.
export const DEPLOY_PARAMS: Record<string, Record<string, string>> = {
  'serverless.yml': { allowedTargetAccounts: '222222222222,333333333333' },
  'serverless.target.yml': { allowedSourceAccounts: '111111111111' },
};

/** The parameters for a stack file (by its base name). */
export const deployParams = (config: string): Record<string, string> => DEPLOY_PARAMS[config.split('/').pop()!] ?? {};

/** The same as `--param name=value` arguments of `serverless package`. */
export const deployParamArgs = (config: string): string[] => Object.entries(deployParams(config)).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
