/**
 * `build:check-function`: infra/scripts/check-function.ts as the `<prefix>-<fn>-check` CodeBuild
 * project runs it (buildspecs/lambda-check.yml), for a function that exists and for one it must
 * create (synthesizes its stack, checks the assets, creates the stack and waits), in the pipelines'
 * account and through an environment's delivery role.
 */
import { loadProject } from '@ias/infra/config';
import { awsError } from '../recorder';
import { responder } from '../respond';
import type { Scenario } from '../scenario';

const SOURCE = 'wiring/src/record/scenarios/check-function.ts';

/** Runs the script as CodeBuild does and resolves when it printed its result. */
function runScript(): Promise<void> {
  return new Promise((resolve, reject) => {
    process.argv = [
      process.argv[0] ?? 'node',
      'check-function.ts',
      '--env',
      'dev',
      '--function',
      'allocate-order',
    ];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      if (/\(stack [^)]+\)\n$/.test(String(chunk))) resolve();
      return true;
    }) as typeof process.stdout.write;
    process.exit = ((code?: number) => {
      process.stdout.write = write;
      reject(new Error(`check-function exited with ${code ?? 0}`));
    }) as typeof process.exit;
    import('@ias/infra/check-function').catch(reject);
  });
}

function checkScenario(exists: boolean, assumed: boolean): Scenario {
  const { prefix } = loadProject();
  let getFunction = 0;
  let describeStacks = 0;
  const STACK_ID = `arn:aws:cloudformation:eu-west-3:123456789012:stack/${prefix}-dev-fn-allocate-order/uuid`;
  return {
    workload: 'build:check-function',
    id: `check-function:${exists ? 'exists' : 'create'}${assumed ? ':assumed' : ''}`,
    source: SOURCE,
    env: {
      FUNCTION_NAME: 'allocate-order',
      ...(assumed
        ? { DELIVERY_ROLE_ARN: 'arn:aws:iam::123456789012:role/wiring-fixture-delivery-role' }
        : { CFN_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/wiring-fixture-cfn-exec-role' }),
    },
    runtimeEnv: { CODEBUILD_BUILD_ARN: 'arn:aws:codebuild:eu-west-3:123456789012:build/wiring:1' },
    // The names the script builds from the project configuration: `<prefix>-<TARGET_ENV>-…`.
    tokens: { [`${prefix}-dev-`]: '${prefix}-${env:TARGET_ENV}-' },
    respond: responder({
      'Lambda GetFunction': () => {
        getFunction += 1;
        if (!exists && getFunction === 1) throw awsError('ResourceNotFoundException');
        return { Configuration: { FunctionName: 'f', State: 'Active' } };
      },
      'S3 HeadObject': {},
      'CloudFormation CreateStack': { StackId: STACK_ID },
      'CloudFormation DescribeStacks': () => {
        describeStacks += 1;
        if (describeStacks === 1) throw awsError('ValidationError', 'Stack with id x does not exist');
        return { Stacks: [{ StackId: STACK_ID, StackStatus: 'CREATE_COMPLETE' }] };
      },
      'CloudFormation DescribeStackEvents': { StackEvents: [] },
    }),
    run: runScript,
  };
}

/** Both outcomes, in the pipelines' account and through a delivery role. */
export const checkFunctionScenarios: readonly Scenario[] = [
  checkScenario(true, false),
  checkScenario(false, false),
  checkScenario(true, true),
  checkScenario(false, true),
];
