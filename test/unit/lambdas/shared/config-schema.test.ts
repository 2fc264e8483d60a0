/**
 * The config checks that stop `cdk synth` for a smoke test that can never
 * pass: HTTPS on a load balancer's own DNS name, or an internal load balancer
 * or private address while the smoke-test function runs outside any VPC.
 */
import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../../../lambdas/shared/config-checks.ts';
import { BatonConfigSchema } from '../../../../lambdas/shared/config-schema.ts';
import { issueLines } from '../../../../lambdas/shared/zod-format.ts';
import { assertNetworkInAccount } from '../../../../sim/harness.ts';
import { exampleConfig, rawExampleConfig } from '../../../support/config.ts';
import { exampleAccount } from '../../../support/simulation.ts';

type Json = Record<string, unknown>;

const INTERNAL_ALB = 'internal-prod-alb-1234567890.eu-west-1.elb.amazonaws.com';
const PUBLIC_ALB = 'prod-alb-1234567890.eu-west-1.elb.amazonaws.com';
const CERTIFICATE =
  "a certificate never covers a load balancer's own *.elb.amazonaws.com name, so TLS verification fails; use https with the DNS name the test listener's certificate covers, or http on the test listener";
const NEEDS_NETWORK =
  'reachable only from inside its VPC; set pipeline.network (vpcId, subnetIds, securityGroupIds) so the smoke test runs there';

/** The example config with the smoke test aimed at baseUrl, with or without pipeline.network. */
function configWith(baseUrl: string, network: boolean): Json {
  const config = structuredClone(rawExampleConfig()) as { pipeline: Json; services: Array<Json & { smokeTest: Json }> };
  if (!network) delete config.pipeline.network;
  const [web] = config.services;
  if (!web) throw new Error('the example config has no service');
  web.smokeTest.baseUrl = baseUrl;
  return config;
}

function problems(config: Json): string[] {
  const parsed = BatonConfigSchema.safeParse(config);
  return parsed.success ? [] : issueLines(parsed.error);
}

describe('the smoke test URL', () => {
  it('accepts the example: http on the internal load balancer, from the VPC of pipeline.network', () => {
    // Arrange
    const config = rawExampleConfig() as { pipeline: { network?: unknown }; services: Array<{ smokeTest?: { baseUrl?: string } }> };

    // Act / Assert
    expect(problems(config)).toEqual([]);
    expect(config.services[0]?.smokeTest?.baseUrl).toBe(`http://${INTERNAL_ALB}:8080`);
    expect(config.pipeline.network).toEqual({
      vpcId: 'vpc-0c5e1f2a3b4d5e6f7',
      subnetIds: ['subnet-0a9b8c7d6e5f40312', 'subnet-0b1c2d3e4f5a60718'],
      securityGroupIds: ['sg-0d4e5f6a7b8c9d0e1'],
    });
  });

  it('refuses https on an internal load balancer name without pipeline.network, for both reasons', () => {
    // Act
    const found = problems(configWith(`https://${INTERNAL_ALB}:8443`, false));

    // Assert
    expect(found).toEqual([
      `services[0].smokeTest.baseUrl: https to ${INTERNAL_ALB} cannot pass: ${CERTIFICATE}`,
      `services[0].smokeTest.baseUrl: ${INTERNAL_ALB} is an internal load balancer, ${NEEDS_NETWORK}`,
    ]);
  });

  it('refuses https on an internal load balancer name even from the VPC: no certificate covers it', () => {
    // Act
    const found = problems(configWith(`https://${INTERNAL_ALB}:8443`, true));

    // Assert
    expect(found).toEqual([`services[0].smokeTest.baseUrl: https to ${INTERNAL_ALB} cannot pass: ${CERTIFICATE}`]);
  });

  it('refuses https on an internet-facing load balancer name', () => {
    // Act
    const found = problems(configWith(`https://${PUBLIC_ALB}/`, false));

    // Assert
    expect(found).toEqual([`services[0].smokeTest.baseUrl: https to ${PUBLIC_ALB} cannot pass: ${CERTIFICATE}`]);
  });

  it('refuses http on an internal load balancer without pipeline.network', () => {
    // Act
    const found = problems(configWith(`http://${INTERNAL_ALB}:8080`, false));

    // Assert
    expect(found).toEqual([`services[0].smokeTest.baseUrl: ${INTERNAL_ALB} is an internal load balancer, ${NEEDS_NETWORK}`]);
  });

  it.each(['10.0.12.7', '172.20.1.5', '192.168.4.9', '100.64.0.10', '[fd12:3456:789a::10]'])(
    'refuses the private address %s without pipeline.network',
    (host) => {
      // Act
      const found = problems(configWith(`http://${host}:8080/`, false));

      // Assert
      expect(found).toEqual([`services[0].smokeTest.baseUrl: ${host} is a private address, ${NEEDS_NETWORK}`]);
    },
  );

  it('accepts a private address from the VPC of pipeline.network', () => {
    // Act / Assert
    expect(problems(configWith('http://10.0.12.7:8080', true))).toEqual([]);
  });

  it.each(['https://web-test.example.com:8443', 'http://203.0.113.10:8080', `http://${PUBLIC_ALB}:8080`])(
    'accepts %s without pipeline.network: reachable from outside a VPC, and https on a name a certificate can cover',
    (baseUrl) => {
      // Act / Assert
      expect(problems(configWith(baseUrl, false))).toEqual([]);
    },
  );
});

describe('isPrivateAddress', () => {
  it.each([
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.0.1', true],
    ['192.169.0.1', false],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['127.0.0.1', false],
    ['8.8.8.8', false],
    ['[fc00::1]', true],
    ['[fd00:1::2]', true],
    ['[2001:db8::1]', false],
    ['web-test.example.internal', false],
  ])('says %s is private: %s', (host, expected) => {
    expect(isPrivateAddress(host)).toBe(expected);
  });
});

describe('pipeline.network in the simulated account', () => {
  it('finds the example network in the example account', () => {
    expect(() => assertNetworkInAccount(exampleConfig(), exampleAccount())).not.toThrow();
  });

  it('refuses a subnet the VPC of the account does not have', () => {
    // Arrange
    const config = exampleConfig();
    const network = { vpcId: 'vpc-0c5e1f2a3b4d5e6f7', subnetIds: ['subnet-0fffffffffffffff0'], securityGroupIds: ['sg-0d4e5f6a7b8c9d0e1'] };

    // Act / Assert
    expect(() => assertNetworkInAccount({ ...config, pipeline: { ...config.pipeline, network } }, exampleAccount())).toThrow(
      'pipeline.network: VPC vpc-0c5e1f2a3b4d5e6f7 of the simulated account has no subnet-0fffffffffffffff0',
    );
  });
});

describe('appConfig.kmsKeyArn', () => {
  function withKey(kmsKeyArn: string): Json {
    const config = structuredClone(rawExampleConfig()) as { services: Array<Json & { appConfig: Json }> };
    const [web] = config.services;
    if (!web) throw new Error('the example config has no service');
    web.appConfig.kmsKeyArn = kmsKeyArn;
    return config;
  }

  it('accepts the ARN of a key', () => {
    expect(problems(withKey('arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'))).toEqual([]);
  });

  it('refuses an alias: IAM grants key use on the key ARN', () => {
    expect(problems(withKey('arn:aws:kms:eu-west-1:123456789012:alias/web-config'))).toEqual([
      'services[0].appConfig.kmsKeyArn: expected an ARN of the form arn:aws:kms:<region>:<account>:key/<key id> (the key itself, not an alias)',
    ]);
  });
});

describe('the state machine name', () => {
  const withNames = (name: string, environment: string): Json => {
    const config = structuredClone(rawExampleConfig()) as { pipeline: Json };
    config.pipeline.name = name;
    config.pipeline.environment = environment;
    return config;
  };

  it('refuses a name and environment that make the state machine name 81 characters, naming the field', () => {
    // Arrange: 40 + "-" + 40 characters
    const name = 'a'.repeat(40);
    const environment = 'b'.repeat(40);

    // Act / Assert
    expect(problems(withNames(name, environment))).toEqual([
      `pipeline.environment: with pipeline.name "${name}" the state machine would be named "${name}-${environment}" (81 characters); Step Functions allows at most 80: shorten name or environment`,
    ]);
  });

  it('accepts exactly 80 characters', () => {
    expect(problems(withNames('a'.repeat(40), 'b'.repeat(39)))).toEqual([]);
  });
});

describe('the timeout of a phase that watches inside its invocation', () => {
  const withPhases = (phases: Json): Json => {
    const config = structuredClone(rawExampleConfig()) as { pipeline: Json };
    config.pipeline.phases = phases;
    return config;
  };

  it.each([
    ['checkStability', 59],
    ['shiftTraffic', 30],
    ['checkBake', 5],
    ['shiftTogether', 59],
  ])('refuses %s with a timeout of %i s, naming pipeline.phases.<phase>.timeoutSeconds', (phase, timeoutSeconds) => {
    expect(problems(withPhases({ [phase]: { timeoutSeconds, retries: 5 } }))).toEqual([
      `pipeline.phases.${phase}.timeoutSeconds: ${phase} waits inside its invocation (a watch keeps 30 s for itself): at least 60 s (default 900)`,
    ]);
  });

  it('accepts 60 s for a watching phase, and less for a phase that does not watch', () => {
    expect(
      problems(
        withPhases({
          checkBake: { timeoutSeconds: 60, retries: 5 },
          shiftTraffic: { timeoutSeconds: 60, retries: 5 },
          verify: { timeoutSeconds: 30, retries: 5 },
        }),
      ),
    ).toEqual([]);
  });
});
