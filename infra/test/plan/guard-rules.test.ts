import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  analyseGuardRule,
  controlTowerRules,
  planGuardJobs,
  pruneTemplate,
  resourceReferences,
  type Template,
} from '../../lib/aspects/guard-rules';

const assemblyDir = inject('assemblyDir');

describe('analyseGuardRule', () => {
  it('finds the types a rule looks up, not those of its comments and messages', () => {
    const rule = analyseGuardRule(
      '/rules/sqs/ct-sqs-pr-2.guard',
      [
        '# Checks AWS::S3::Bucket too (a comment)',
        'let queues = Resources.*[ Type == "AWS::SQS::Queue" ]',
        'rule check when %queues not empty { %queues.Properties.KmsMasterKeyId exists',
        '  << [FIX]: see "AWS::Lambda::Function" >> }',
        'rule key(doc, id) { let key = %doc.Resources[ keys == %id ]  %key { Type == "AWS::KMS::Key" } }',
      ].join('\n'),
    );
    expect(rule).toEqual({
      file: '/rules/sqs/ct-sqs-pr-2.guard',
      id: 'ct-sqs-pr-2',
      types: ['AWS::KMS::Key', 'AWS::SQS::Queue'],
      followsReferences: true,
    });
  });

  it('keeps the whole template for a rule that reads resources other than by type or logical ID', () => {
    const rule = analyseGuardRule(
      'x.guard',
      'let all = Resources.*\nlet clusters = Resources.*[ Type == "AWS::EKS::Cluster" ]',
    );
    expect(rule.types).toBeUndefined();
  });

  it('cuts down the templates for every Control Tower rule but ct-eks-pr-2, and leaves out disabled ones', () => {
    const rules = controlTowerRules(['ct-s3-pr-9']);
    expect(rules).toHaveLength(236);
    expect(rules.map((r) => r.id)).not.toContain('ct-s3-pr-9');
    expect(rules.filter((r) => r.types === undefined).map((r) => r.id)).toEqual(['ct-eks-pr-2']);
    const bucketRule = rules.find((r) => r.id === 'ct-s3-pr-1');
    expect(bucketRule?.types).toContain('AWS::S3::Bucket');
  });
});

describe('pruneTemplate', () => {
  const template: Template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>' } },
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
      Key: {
        Type: 'AWS::KMS::Key',
        Properties: { KeyPolicy: { Statement: [{ Resource: { Ref: 'Role' } }] } },
      },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    },
    Outputs: { QueueUrl: { Value: { Ref: 'Queue' } } },
  };

  it('keeps only the resources of the types, and every other section whole', () => {
    const cut = pruneTemplate(template, ['AWS::SQS::Queue']);
    expect(Object.keys(cut.Resources ?? {})).toEqual(['Queue']);
    expect(cut.Parameters).toEqual(template.Parameters);
    expect(cut.Outputs).toEqual(template.Outputs);
    expect(cut.AWSTemplateFormatVersion).toBe('2010-09-09');
  });

  it('with references, keeps what the kept resources mention, through any number of steps', () => {
    const cut = pruneTemplate(template, ['AWS::SQS::Queue'], resourceReferences(template));
    expect(Object.keys(cut.Resources ?? {}).sort()).toEqual(['Key', 'Queue', 'Role']);
  });

  it('leaves a template without resources as it is', () => {
    expect(pruneTemplate({ Outputs: {} }, ['AWS::S3::Bucket'])).toEqual({ Outputs: {} });
  });
});

describe('planGuardJobs over the real templates', () => {
  const files = readdirSync(assemblyDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => join(assemblyDir, f));
  const templates = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Template);
  const rules = controlTowerRules(['ct-s3-pr-9']);

  it('runs every rule over every template exactly once, in fewer processes than rules', () => {
    for (const workers of [1, 2, 8]) {
      const jobs = planGuardJobs(rules, templates, workers);
      const pairs = jobs.flatMap((job) =>
        job.rules.flatMap((rule) => job.templates.map((t) => `${rule} ${t}`)),
      );
      expect(new Set(pairs).size).toBe(pairs.length);
      expect(pairs).toHaveLength(rules.length * templates.length);
      expect(jobs.length).toBeLessThan(rules.length / 2);
    }
  });

  it('gives each job the types of all its rules, and whole templates to a rule that needs them', () => {
    const jobs = planGuardJobs(rules, templates, 2);
    for (const rule of rules) {
      for (const job of jobs.filter((j) => j.rules.includes(rule.file))) {
        if (rule.types === undefined) {
          expect(job.types).toBeUndefined();
        } else {
          expect(job.types).toEqual(expect.arrayContaining([...rule.types]));
          expect(job.followsReferences || !rule.followsReferences).toBe(true);
        }
      }
    }
  });
});
