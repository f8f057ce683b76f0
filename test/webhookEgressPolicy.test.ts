import { loadConfig } from '../src/config';
import { egressPolicy, embeddedIpv4, invalidAllowEntries, refusalReason } from '../src/webhooks/egressPolicy';

describe('webhook address classifier', () => {
  test.each([
    ['127.0.0.1', 'loopback address'],
    ['127.255.0.9', 'loopback address'],
    ['::1', 'loopback address'],
    ['0.0.0.0', 'unspecified address'],
    ['0.1.2.3', 'unspecified address'],
    ['::', 'unspecified address'],
    ['10.0.0.5', 'private address'],
    ['172.16.0.1', 'private address'],
    ['172.31.255.255', 'private address'],
    ['192.168.1.1', 'private address'],
    ['169.254.1.1', 'link-local address'],
    ['fe80::1', 'link-local address'],
    ['fc00::1', 'unique-local address'],
    ['fdff::1', 'unique-local address'],
    ['100.64.0.1', 'shared (CGNAT) address'],
    ['100.127.255.255', 'shared (CGNAT) address'],
    ['169.254.169.254', 'cloud metadata address'],
    ['fd00:ec2::254', 'cloud metadata address'],
    ['224.0.0.1', 'multicast address'],
    ['ff02::1', 'multicast address'],
    ['255.255.255.255', 'broadcast address'],
    ['240.0.0.1', 'reserved address'],
    ['2001:db8::1', 'reserved address'],
    ['2002:a00:5::1', 'IPv6 transition address (it may relay to an internal IPv4 address)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'IPv6 transition address (it may relay to an internal IPv4 address)'],
    ['64:ff9b:1::a00:5', 'reserved address'],
    ['::ffff:127.0.0.1', 'loopback address (IPv4 127.0.0.1 inside IPv6)'],
    ['::ffff:7f00:1', 'loopback address (IPv4 127.0.0.1 inside IPv6)'],
    ['::ffff:0:0', 'unspecified address (IPv4 0.0.0.0 inside IPv6)'],
    ['::ffff:a9fe:a9fe', 'cloud metadata address (IPv4 169.254.169.254 inside IPv6)'],
    ['::ffff:10.0.0.5', 'private address (IPv4 10.0.0.5 inside IPv6)'],
    ['64:ff9b::10.0.0.5', 'private address (IPv4 10.0.0.5 inside IPv6)'],
  ])('%s is a %s', (address, reason) => {
    expect(refusalReason(address)).toBe(reason);
  });

  test.each(['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.253.255.255', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    '%s is public',
    (address) => {
      expect(refusalReason(address)).toBeUndefined();
    },
  );

  test('the IPv4 address inside an IPv6 one, in either notation', () => {
    expect(embeddedIpv4('::ffff:192.168.0.1')).toBe('192.168.0.1');
    expect(embeddedIpv4('::ffff:c0a8:1')).toBe('192.168.0.1');
    expect(embeddedIpv4('0:0:0:0:0:ffff:c0a8:0001')).toBe('192.168.0.1');
    expect(embeddedIpv4('2001:db8::c0a8:1')).toBeUndefined();
    expect(embeddedIpv4('192.168.0.1')).toBeUndefined();
  });
});

describe('HERA_WEBHOOK_ALLOW', () => {
  test('unset or empty opens nothing internal', () => {
    for (const policy of [egressPolicy(undefined), egressPolicy('')]) {
      expect(policy.refusal('localhost', '127.0.0.1')).toBe('loopback address');
      expect(policy.refusal('example.com', '93.184.216.34')).toBeUndefined();
    }
  });

  test('CIDRs and addresses open their range (IPv4-mapped forms too), host names every address they resolve to', () => {
    const policy = egressPolicy(' 127.0.0.0/8, ::1 ,10.1.2.3, hooks.internal.example., fd00:1::/32');
    expect(policy.refusal('localhost', '127.9.9.9')).toBeUndefined();
    expect(policy.refusal('localhost', '::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refusal('localhost', '::1')).toBeUndefined();
    expect(policy.refusal('a.example', '10.1.2.3')).toBeUndefined();
    expect(policy.refusal('a.example', '10.1.2.4')).toBe('private address');
    expect(policy.refusal('Hooks.Internal.Example', '10.200.0.1')).toBeUndefined();
    expect(policy.refusal('other.internal.example', '10.200.0.1')).toBe('private address');
    expect(policy.refusal('v6.example', 'fd00:1::5')).toBeUndefined();
    expect(policy.refusal('v6.example', 'fd00:2::5')).toBe('unique-local address');
    // An IPv6 rule never opens IPv4 addresses (node's BlockList alone would match them through ::ffff:0:0/96).
    expect(egressPolicy('::/0').refusal('x', '10.0.0.1')).toBe('private address');
    expect(egressPolicy('::/0').refusal('x', 'fc00::1')).toBeUndefined();
  });

  test('entries that are no host name, address or CIDR are named, and stop the process at start', () => {
    expect(invalidAllowEntries('127.0.0.0/8,,::1/128,ok-host.example')).toEqual([]);
    expect(invalidAllowEntries('10.0.0.0/33,a b,1.2.3.4/x,::1/129,-bad.example')).toEqual(['10.0.0.0/33', 'a b', '1.2.3.4/x', '::1/129', '-bad.example']);
    expect(() => loadConfig({ HERA_WEBHOOK_ALLOW: '10.0.0.0/8,http://x' })).toThrow(
      'invalid environment: HERA_WEBHOOK_ALLOW: not a host name, address or CIDR: http://x',
    );
  });
});
