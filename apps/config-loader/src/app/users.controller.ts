import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CreateUserDto, Roles, UsersService } from '@flow-oauth/api-auth';
import { JsonBody } from '@flow-oauth/http-common';

const SMALL_BODY = 16 * 1024;

/** User keys for the connector API; a key is shown once, at creation. */
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  async create(@JsonBody(CreateUserDto, { limitBytes: SMALL_BODY }) body: CreateUserDto) {
    const { name, key } = await this.users.create(body.name);
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
