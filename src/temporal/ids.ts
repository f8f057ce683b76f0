/** One Temporal workflow per HERA instance; the id names the organization so ids never collide across orgs. */
export function instanceWorkflowId(organizationId: string, instanceId: string): string {
  return `hera/${organizationId}/${instanceId}`;
}
