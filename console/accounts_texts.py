"""The accounts page's texts in Chinese and English, added to the console's catalogue."""

TEXTS: dict[str, tuple[str, str]] = {
    "accounts": ("账号", "Accounts"),
    "accounts_title": ("工作台账号", "Console accounts"),
    "accounts_hint": ("每个账号可有多个角色；改密码或停用会立刻结束该账号的所有登录。",
                      "An account may hold several roles; a new password or disabling ends "
                      "all of the account's sessions at once."),
    "acc_add": ("新建账号", "Add an account"),
    "acc_person": ("对应的社区人员（编号、telegram:123 或名单里的键，可不填）",
                   "Community person (id, telegram:123 or the key in the community file; "
                   "optional)"),
    "acc_person_short": ("社区人员", "Person"),
    "acc_language": ("界面语言", "Language"),
    "acc_language_default": ("随人员，否则中文", "the person's, else Chinese"),
    "acc_initial_password": ("初始密码（至少 8 个字符）", "Initial password (8 characters "
                             "or more)"),
    "acc_new_password": ("新密码（至少 8 个字符）", "New password (8 characters or more)"),
    "acc_create": ("创建", "Create"),
    "acc_state": ("状态", "State"),
    "acc_enabled": ("启用", "enabled"),
    "acc_disabled": ("已停用", "disabled"),
    "acc_disable": ("停用", "Disable"),
    "acc_enable": ("启用", "Enable"),
    "acc_set_roles": ("保存角色", "Save roles"),
    "acc_reset_password": ("重设密码", "Reset password"),
    "acc_created_at": ("创建于", "Created"),
    "acc_history": ("最近的账号变更", "Recent account changes"),
    "acc_action": ("操作", "Action"),
    "role_operator": ("运营（对话、语言理解）", "operator (conversations, NLU)"),
    "role_staff": ("社区工作人员", "staff"),
    "role_supervisor": ("网格长", "supervisor"),
    "role_grid_member": ("网格员", "grid member"),
    "role_admin": ("管理员（账号、社区数据）", "admin (accounts, community data)"),
    "acc_m_created": ("已创建账号 {user}，可以登录了。", "Account {user} created: it can log "
                      "in now."),
    "acc_m_roles": ("已更新 {user} 的角色。", "Roles of {user} saved."),
    "acc_m_password": ("已重设 {user} 的密码。", "Password of {user} reset."),
    "acc_m_disabled": ("已停用 {user}。", "{user} disabled."),
    "acc_m_enabled": ("已启用 {user}。", "{user} enabled."),
    "acc_e_username": ("用户名为 2–60 个字符：小写字母、数字和 _ . -，以字母或数字开头。",
                       "A username is 2–60 characters: lower-case letters, digits, _ . -, "
                       "starting with a letter or digit."),
    "acc_e_roles": ("至少选一个角色。", "Choose at least one role."),
    "acc_e_password": ("密码至少 8 个字符。", "A password has at least 8 characters."),
    "acc_e_taken": ("已有同名账号。", "There is already an account with that name."),
    "acc_e_person": ("社区里没有这个人员。", "There is no such person in the community."),
    "acc_e_language": ("语言只能是中文或英文。", "The language is Chinese or English."),
    "acc_e_last_admin": ("这是最后一个启用的管理员账号，不能去掉管理员角色或停用。",
                         "This is the last enabled admin account: it cannot lose the admin "
                         "role or be disabled."),
    "acc_e_invalid": ("请求有误。", "Something in the request is wrong."),
    "acc_e_unknown": ("没有这个账号。", "There is no such account."),
}
