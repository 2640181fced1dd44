/** /v1/companies: register a company (starts contract approval), read it, decide its contract. */
import { Router } from 'express';
import { parse } from '../validation';
import { companyIdParam, contractDecisionBody, registerCompanyBody } from '../schemas/companies';
import type { createCompanyService } from '../services/companies';

export function companiesRouter(service: ReturnType<typeof createCompanyService>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const company = await service.register(parse(registerCompanyBody, req.body));
    res.status(201).location(`/v1/companies/${company.companyId}`).json(company);
  });

  router.get('/:companyId', async (req, res) => {
    const { companyId } = parse(companyIdParam, req.params, 'path');
    res.json(await service.get(companyId));
  });

  router.post('/:companyId/decision', async (req, res) => {
    const { companyId } = parse(companyIdParam, req.params, 'path');
    const decision = parse(contractDecisionBody, req.body);
    res.json(await service.decide(companyId, decision));
  });

  return router;
}
