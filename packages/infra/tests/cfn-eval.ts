/**
 * What CloudFormation does with parameter values before creating anything, reimplemented for the
 * subset of the template language the stack uses: parameter constraints, rules, conditions and
 * Fn::If. Lets tests show which values a deployment would refuse, and what a conditional resource
 * or property becomes, without an AWS account.
 */
import type { CfnTemplate } from './synthesized.ts';

export type Values = Record<string, string>;

/** CloudFormation's messages for the values it would refuse (empty when the deployment may proceed). */
export function refusals(template: Pick<CfnTemplate, 'Parameters' | 'Rules'>, given: Values): string[] {
  const messages: string[] = [];
  const values = withDefaults(template, given);
  for (const [name, p] of Object.entries(template.Parameters)) {
    const value = values[name];
    if (value === undefined) {
      messages.push(`${name}: a value is required`);
      continue;
    }
    const refuse = () => messages.push(String(p['ConstraintDescription'] ?? `${name} is invalid`));
    if (typeof p['AllowedPattern'] === 'string' && !new RegExp(p['AllowedPattern']).test(value)) refuse();
    else if (Array.isArray(p['AllowedValues']) && !p['AllowedValues'].map(String).includes(value)) refuse();
    else if (p['Type'] === 'Number') {
      const n = Number(value);
      if (!Number.isFinite(n) || (p['MinValue'] !== undefined && n < Number(p['MinValue'])) || (p['MaxValue'] !== undefined && n > Number(p['MaxValue']))) refuse();
    }
  }
  if (messages.length > 0) return messages; // CloudFormation checks rules only once every parameter is valid
  for (const rule of Object.values(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !evaluate(rule.RuleCondition, { values, conditions: {} })) continue;
    for (const a of rule.Assertions) if (!evaluate(a.Assert, { values, conditions: {} })) messages.push(a.AssertDescription);
  }
  return messages;
}

export interface Scope {
  values: Values;
  conditions: Record<string, unknown>;
}

/** Parameter values with defaults applied, plus the pseudo parameters the stack uses. */
export function withDefaults(template: Pick<CfnTemplate, 'Parameters'>, given: Values): Values {
  const values: Values = { 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws', 'AWS::StackName': 'StoreScp' };
  for (const [name, p] of Object.entries(template.Parameters)) {
    const v = given[name] ?? (p['Default'] === undefined ? undefined : String(p['Default']));
    if (v !== undefined) values[name] = v;
  }
  return values;
}

/** Evaluates a template expression; Refs to resources come back as `<LogicalId>`. */
export function evaluate(expr: unknown, scope: Scope): unknown {
  if (Array.isArray(expr)) return expr.map((e) => evaluate(e, scope)).filter((e) => e !== NO_VALUE);
  if (expr === null || typeof expr !== 'object') return expr;
  const [fn, arg] = Object.entries(expr)[0] ?? [];
  const args = arg as unknown[];
  const ev = (e: unknown) => evaluate(e, scope);
  switch (fn) {
    case 'Ref': {
      const name = arg as string;
      if (name === 'AWS::NoValue') return NO_VALUE;
      const v = scope.values[name];
      return v ?? `<${name}>`;
    }
    case 'Fn::If': {
      const chosen = ev({ Condition: args[0] }) ? args[1] : args[2];
      return ev(chosen);
    }
    case 'Condition': return Boolean(ev(scope.conditions[arg as string]));
    case 'Fn::Equals': return String(ev(args[0])) === String(ev(args[1]));
    case 'Fn::Not': return !ev(args[0]);
    case 'Fn::And': return args.every((a) => Boolean(ev(a)));
    case 'Fn::Or': return args.some((a) => Boolean(ev(a)));
    case 'Fn::Contains': return (ev(args[0]) as unknown[]).map(String).includes(String(ev(args[1])));
    case 'Fn::EachMemberEquals': return asList(ev(args[0])).every((m) => m === String(ev(args[1])));
    case 'Fn::Join': return (ev(args[1]) as unknown[]).map(String).join(args[0] as string);
    case 'Fn::Select': return asList(ev(args[1]))[Number(ev(args[0]))];
    default: return Object.fromEntries(Object.entries(expr).map(([k, v]) => [k, ev(v)]).filter(([, v]) => v !== NO_VALUE));
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/** A CommaDelimitedList parameter's value as CloudFormation splits it. */
function asList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : String(value).split(',');
}
