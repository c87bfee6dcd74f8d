import { describe, expect, it } from 'vitest';
import { checkedTop, groupKeysOf, toAuditFilter } from '../src/filter-input.js';
import { bucketStarts, MAX_HISTOGRAM_BUCKETS, parseStep } from '../src/sources/victorialogs/histogram.js';

// The GraphQL filter's checks, where the argument's name is known: every refusal is BAD_USER_INPUT and
// names the argument (and the entry of a list) that is wrong.

function badInput(message: RegExp) {
  return expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }), message: expect.stringMatching(message) });
}

describe('toAuditFilter', () => {
  it('maps every field of the GraphQL filter', () => {
    expect(
      toAuditFilter({
        users: ['alice'],
        excludeServiceAccounts: true,
        userGroups: ['system:masters'],
        impersonatedUsers: ['bob'],
        verbs: ['create', 'deletecollection'],
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterrolebindings'],
        subresources: ['exec'],
        namespaces: ['kube-system'],
        names: ['system:controller:job-controller'],
        clusters: ['prod-eu-1'],
        responseCodes: [403],
        responseCodeClasses: ['CLIENT_ERROR', 'SERVER_ERROR'],
        sourceIps: ['10.0.0.1', '2001:db8::1'],
        userAgentPrefixes: ['kubectl/'],
        levels: ['METADATA', 'REQUEST_RESPONSE'],
        stages: ['RESPONSE_COMPLETE', 'PANIC'],
        from: '2024-10-29T00:00:00Z',
        to: '2024-10-30T00:00:00Z',
      }),
    ).toEqual({
      users: ['alice'],
      excludeServiceAccounts: true,
      userGroups: ['system:masters'],
      impersonatedUsers: ['bob'],
      verbs: ['create', 'deletecollection'],
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterrolebindings'],
      subresources: ['exec'],
      namespaces: ['kube-system'],
      names: ['system:controller:job-controller'],
      clusters: ['prod-eu-1'],
      responseCodes: [403],
      responseCodeClasses: [4, 5],
      sourceIps: ['10.0.0.1', '2001:db8::1'],
      userAgentPrefixes: ['kubectl/'],
      levels: ['Metadata', 'RequestResponse'],
      stages: ['ResponseComplete', 'Panic'],
      from: new Date('2024-10-29T00:00:00Z'),
      to: new Date('2024-10-30T00:00:00Z'),
    });
    expect(toAuditFilter(null)).toEqual({});
    expect(toAuditFilter({ excludeServiceAccounts: false })).toEqual({});
  });

  it.each([
    [{ verbs: ['get', 'GET'] }, /^filter\.verbs\[1\]: "GET" is not an API verb/],
    [{ namespaces: ['Kube_System'] }, /^filter\.namespaces\[0\]: .* is not a namespace name/],
    [{ namespaces: ['a'.repeat(64)] }, /^filter\.namespaces\[0\]:/],
    [{ resources: ['secrets | delete'] }, /^filter\.resources\[0\]:/],
    [{ subresources: ['exec*'] }, /^filter\.subresources\[0\]:/],
    [{ apiGroups: ['rbac..k8s.io'] }, /^filter\.apiGroups\[0\]:/],
    [{ names: ['a/b'] }, /^filter\.names\[0\]:/],
    [{ names: ['..'] }, /^filter\.names\[0\]:/],
    [{ sourceIps: ['10.0.0.256'] }, /^filter\.sourceIps\[0\]: .* is not an IPv4 or IPv6 address/],
    [{ users: [''] }, /^filter\.users\[0\]: must be 1 to/],
    [{ userGroups: ['a\ud800'] }, /^filter\.userGroups\[0\]: contains an unpaired/],
    [{ clusters: [] }, /^filter\.clusters: must hold 1 to 100 values/],
    [{ verbs: Array.from({ length: 101 }, () => 'get') }, /^filter\.verbs: must hold 1 to 100/],
    [{ responseCodes: [403, 99] }, /^filter\.responseCodes\[1\]:/],
    [{ responseCodeClasses: [] }, /^filter\.responseCodeClasses:/],
    [{ from: 'yesterday' }, /^filter\.from:/],
    [{ from: '2024-10-30T00:00:00Z', to: '2024-10-29T00:00:00Z' }, /^filter\.from: must not be after filter\.to/],
  ])('refuses %j', (filter, message) => {
    expect(() => toAuditFilter(filter)).toThrow(badInput(message));
  });

  it('lets any text through where the field is not a name: quoting makes it a literal', () => {
    const hostile = '" or user:* | delete';
    expect(toAuditFilter({ users: [hostile], userGroups: [hostile], impersonatedUsers: [hostile], clusters: [hostile], userAgentPrefixes: [hostile] })).toMatchObject({ users: [hostile] });
  });
});

describe('groupBy and top', () => {
  it('maps group fields once each, in order', () => {
    expect(groupKeysOf(['USER', 'VERB', 'USER', 'SOURCE_IP', 'API_GROUP'])).toEqual(['user', 'verb', 'sourceIp', 'apiGroup']);
  });

  it('defaults top to 10 and bounds it', () => {
    expect(checkedTop(undefined)).toBe(10);
    expect(checkedTop(1000)).toBe(1000);
    for (const top of [0, -1, 1001]) expect(() => checkedTop(top)).toThrow(badInput(/^top: must be an integer from 1 to 1000/));
  });
});

describe('histogram steps and buckets', () => {
  it('reads a whole number of one unit', () => {
    expect(['30s', '1m', '5m', '1h', '1d', '3650d'].map(parseStep)).toEqual([30, 60, 300, 3600, 86_400, 3650 * 86_400]);
    for (const step of ['', '0s', '1', 'm', '1.5m', '1h30m', '1w', '-1m', ' 1m', '3651d', '01m']) expect(parseStep(step), step).toBeUndefined();
  });

  it('aligns buckets to the step since the epoch, from the one holding `from` to the one before `to`', () => {
    const starts = bucketStarts({ from: new Date('2024-10-29T12:00:30Z'), to: new Date('2024-10-29T12:03:00Z'), stepSeconds: 60 });
    expect(starts.map((nanos) => new Date(Number(nanos / 1_000_000n)).toISOString())).toEqual([
      '2024-10-29T12:00:00.000Z',
      '2024-10-29T12:01:00.000Z',
      '2024-10-29T12:02:00.000Z',
    ]);
    expect(bucketStarts({ from: new Date('2024-10-29T12:00:00Z'), to: new Date('2024-10-29T12:00:00.001Z'), stepSeconds: 86_400 })).toHaveLength(1);
    expect(bucketStarts({ from: new Date('2024-10-29T12:00:00Z'), to: new Date('2024-10-29T12:00:00Z'), stepSeconds: 60 })).toEqual([]);
  });

  it(`refuses a step giving more than ${String(MAX_HISTOGRAM_BUCKETS)} buckets, naming step`, () => {
    const from = new Date('2024-10-01T00:00:00Z');
    expect(bucketStarts({ from, to: new Date(from.getTime() + MAX_HISTOGRAM_BUCKETS * 1000), stepSeconds: 1 })).toHaveLength(MAX_HISTOGRAM_BUCKETS);
    expect(() => bucketStarts({ from, to: new Date(from.getTime() + MAX_HISTOGRAM_BUCKETS * 1000 + 1), stepSeconds: 1 })).toThrow(badInput(/^step: 1s gives 10001 buckets/));
    expect(() => bucketStarts({ from: new Date('2024-10-02T00:00:00Z'), to: from, stepSeconds: 60 })).toThrow(badInput(/^filter\.from: must not be after/));
  });
});
