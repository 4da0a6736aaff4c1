// Where a request came from, as the audit log records it: the HTTP layer's name for services/request-origin.ts.
export { requestOriginOf as auditMetaOf, type RequestOrigin } from '../services/request-origin.ts';
