export { isLocal, launchChromium, type PageVisit, visit } from "./browser.js";
export { describeDocsPage } from "./docs-page.js";
export {
  type DocumentedOperation,
  type GeneratedRequest,
  generateRequest,
  missingSchemas,
  type OpenApiDocument,
  openApiProblems,
  operationsOf,
  responseProblems,
  sampleOf,
} from "./openapi-contract.js";
