// What the chat area does with live frames whatever screen is showing (started once, in main).

export function startChatLive(): void {}
