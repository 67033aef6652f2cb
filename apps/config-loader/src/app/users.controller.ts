import { Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { Roles, UsersService } from '@flow-oauth/api-auth';
import { parseJsonObject, readJsonText } from '@flow-oauth/http-common';
import type { Request } from 'express';

const SMALL_BODY = 16 * 1024;

/** User keys for the connector API; a key is shown once, at creation. */
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  async create(@Req() req: Request) {
    const body = parseJsonObject(await readJsonText(req, { limitBytes: SMALL_BODY }));
    const { name, key } = await this.users.create(body['name']);
    return { name, key };
  }

  @Get()
  list() {
    return this.users.list();
  }

  @Delete(':name')
  @HttpCode(204)
  async delete(@Param('name') name: string): Promise<void> {
    await this.users.delete(name);
  }
}
