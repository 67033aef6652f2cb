import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CreateUserDto, Roles, UsersService } from '@flow-oauth/api-auth';
import { ApiAnswer, ApiErrorAnswer } from '@flow-oauth/api-docs';
import { JsonBody } from '@flow-oauth/http-common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';

const SMALL_BODY = 16 * 1024;

/** User keys for the connector API; a key is shown once, at creation. */
@ApiTags('users')
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiAnswer(201, 'IssuedUserKey', { description: 'The user and their key, shown this once' })
  @ApiErrorAnswer(409, 'ApiError', 'The user exists (`user_exists`)')
  async create(@JsonBody(CreateUserDto, { limitBytes: SMALL_BODY }) body: CreateUserDto) {
    const { name, key } = await this.users.create(body.name);
    return { name, key };
  }

  @Get()
  @ApiAnswer(200, 'User', { list: true })
  list() {
    return this.users.list();
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'The key is revoked' })
  @ApiErrorAnswer(409, 'ApiError', 'The user owns connectors (`user_has_connectors`, with their labels)')
  async delete(@Param('name') name: string): Promise<void> {
    await this.users.delete(name);
  }
}
