/**
 * The synthesized CloudFormation template, resolved as CloudFormation would
 * resolve it in the simulated account: `Ref`, `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Sub`, `Fn::Select`, `Fn::Split` and the pseudo parameters become the
 * names and ARNs the account uses. A resource without a physical name gets
 * the name CloudFormation would generate, made deterministic
 * (`<stack>-<logical id>`), so runs are reproducible.
 */

export type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, CfnValue>;
  readonly Metadata?: Record<string, CfnValue>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: CfnValue }>;
}

export interface StackPlace {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
}

/** CloudFormation's AWS::NoValue: the property is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

export class TemplateResolver {
  readonly template: CfnTemplate;
  readonly place: StackPlace;
  /**
   * The Lambda versions published so far, per function name, in order (a version's number is its place + 1): an
   * upgraded template (sim/upgrade.ts) shares the list of the one it replaces, so a function whose CurrentVersion is
   * unchanged keeps its number and a changed one gets the next.
   */
  readonly versions: Map<string, string[]>;

  constructor(template: CfnTemplate, place: StackPlace, versions: Map<string, string[]> = new Map()) {
    this.template = template;
    this.place = place;
    this.versions = versions;
  }

  resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`the template has no resource ${logicalId}`);
    return resource;
  }

  /** Logical ids of the resources of one type, in template order. */
  resourcesOfType(type: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id]) => id);
  }

  /** A property of a resource, resolved. */
  property(logicalId: string, name: string): unknown {
    const value = this.resource(logicalId).Properties?.[name];
    return value === undefined ? undefined : this.resolve(value);
  }

  /** A value of the template with every intrinsic resolved. */
  resolve(value: CfnValue): unknown {
    const resolved = this.walk(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** A value that must resolve to a string (an ARN, a name, a definition). */
  resolveString(value: CfnValue): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
    return resolved;
  }

  private walk(value: CfnValue): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.walk(item)).filter((item) => item !== NO_VALUE);
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key] as CfnValue;
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split('.');
          return this.getAtt(String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [separator, parts] = argument as [string, CfnValue[]];
          return (this.walk(parts) as unknown[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = argument as [CfnValue, CfnValue];
          return (this.walk(list) as unknown[])[Number(this.walk(index))];
        }
        case 'Fn::Split': {
          const [separator, text] = argument as [string, CfnValue];
          return String(this.walk(text)).split(separator);
        }
        case 'Fn::Sub':
          return this.sub(argument);
        default:
          if (key.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${key} in the template`);
      }
    }
    return Object.fromEntries(
      Object.entries(value)
        .map(([name, item]) => [name, this.walk(item)] as const)
        .filter(([, item]) => item !== NO_VALUE),
    );
  }

  private sub(argument: CfnValue): string {
    const [text, variables] = Array.isArray(argument) ? (argument as [string, Record<string, CfnValue>]) : [String(argument), {}];
    return text.replace(/\$\{([^}!]+)\}/g, (_match, name: string) => {
      const variable = variables[name];
      if (variable !== undefined) return String(this.walk(variable));
      const [id, attribute] = name.split('.');
      return String(attribute ? this.getAtt(String(id), attribute) : this.ref(String(id)));
    });
  }

  private ref(id: string): unknown {
    const { account, region, stackName } = this.place;
    switch (id) {
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const resource = this.resource(id);
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::StepFunctions::StateMachineVersion':
      case 'AWS::StepFunctions::StateMachineAlias':
        return this.getAtt(id, 'Arn');
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${this.physicalName(id)}`;
      case 'AWS::KMS::Key':
        return this.keyId(id);
      case 'AWS::Lambda::Version':
        return this.versionArn(id);
      default:
        return this.physicalName(id);
    }
  }

  /** Ref of an AWS::Lambda::Version: the function's ARN qualified with the version number. */
  private versionArn(id: string): string {
    const { account, region } = this.place;
    const name = String(this.property(id, 'FunctionName'));
    const published = this.versions.get(name) ?? [];
    if (!published.includes(id)) published.push(id);
    this.versions.set(name, published);
    return `arn:aws:lambda:${region}:${account}:function:${name}:${published.indexOf(id) + 1}`;
  }

  /** A resource's ARN (Fn::GetAtt [id, Arn]). */
  getArn(id: string): string {
    return String(this.getAtt(id, 'Arn'));
  }

  private getAtt(id: string, attribute: string): unknown {
    const { account, region } = this.place;
    const resource = this.resource(id);
    const name = this.physicalName(id);
    if (attribute !== 'Arn') {
      if (attribute === 'Name' || attribute === 'TopicName' || attribute === 'QueueName' || attribute === 'TableName') return name;
      if (attribute === 'KeyId') return this.keyId(id);
      return `${id}.${attribute}`;
    }
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${name}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${account}:role/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      // The state machine's ARN qualified with the version number, or the alias name (concepts-state-machine-alias.html).
      case 'AWS::StepFunctions::StateMachineVersion':
        return `${String(this.property(id, 'StateMachineArn'))}:1`;
      case 'AWS::StepFunctions::StateMachineAlias': {
        const [route] = this.property(id, 'RoutingConfiguration') as Array<{ StateMachineVersionArn: string }>;
        return `${String(route?.StateMachineVersionArn).replace(/:\d+$/, '')}:${name}`;
      }
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${region}:${account}:key/${this.keyId(id)}`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${account}:rule/${name}`;
      case 'AWS::Events::Archive':
        return `arn:aws:events:${region}:${account}:archive/${name}`;
      default:
        return `arn:aws:${resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown'}:${region}:${account}:${name}`;
    }
  }

  /** The resource's own name property, or the deterministic stand-in for the one CloudFormation generates. */
  physicalName(id: string): string {
    const properties = this.resource(id).Properties ?? {};
    for (const key of [
      'TableName',
      'TopicName',
      'FunctionName',
      'RoleName',
      'ManagedPolicyName',
      'StateMachineName',
      'LogGroupName',
      'QueueName',
      'Name',
    ]) {
      const value = properties[key];
      if (value !== undefined) return String(this.walk(value));
    }
    return `${this.place.stackName}-${id}`.slice(0, 64);
  }

  /** The key policy of one of the stack's own keys, by ARN; undefined for a key outside the stack. */
  keyPolicy(arn: string): unknown {
    const id = this.resourcesOfType('AWS::KMS::Key').find((key) => this.getArn(key) === arn);
    return id === undefined ? undefined : this.property(id, 'KeyPolicy');
  }

  /** The KMS key (ARN) a topic of the stack is encrypted with, if any. */
  topicKey(topicArn: string): string | undefined {
    const id = this.resourcesOfType('AWS::SNS::Topic').find((topic) => this.getArn(topic) === topicArn);
    const key = id === undefined ? undefined : this.property(id, 'KmsMasterKeyId');
    return typeof key === 'string' ? key : undefined;
  }

  /** A key id shaped like KMS's (a UUID), derived from the logical id. */
  private keyId(id: string): string {
    const hex = Buffer.from(id).toString('hex').padEnd(32, '0').slice(0, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }
}
