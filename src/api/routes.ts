/** HTTP routes of the procedures: method, Express path, smart code. */
export interface Route {
  method: 'get' | 'post' | 'put';
  path: string;
  smartCode: string;
}

export const routes: readonly Route[] = [
  { method: 'post', path: '/api/v1/workflows', smartCode: 'HERA.UNIV.WF.START.V1' },
  { method: 'post', path: '/api/v1/workflows/:definition_code/start', smartCode: 'HERA.UNIV.WF.START.V1' },
  { method: 'get', path: '/api/v1/workflows', smartCode: 'HERA.UNIV.WF.INSTANCES.LIST.V1' },
];
