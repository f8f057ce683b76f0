/**
 * Route role gates (SPEC §10): any valid token is a `user`; `system` passes every gate; `admin` passes admin
 * and manager gates. A transition's `by` list is checked elsewhere and does not use these rules.
 */
export function passesGate(callerRoles: readonly string[], required: readonly string[]): boolean {
  if (required.includes('user') || callerRoles.includes('system')) return true;
  if (callerRoles.includes('admin') && required.some((r) => r === 'admin' || r === 'manager')) return true;
  return required.some((r) => callerRoles.includes(r));
}
