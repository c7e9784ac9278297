// A Redis server of the test's own, on a free loopback port, that the test may kill, restart,
// pause (SIGSTOP: connections stay open, nothing answers) and resume. Never the shared one.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import net from "node:net";
import { freePort } from "./free-port.js";

export const hasRedisServer = (() => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();


/** Resolves once the server at `port` answers PING; false after `timeoutMs`. */
async function answersPing(port: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
      socket.on("error", () => resolve(false));
      socket.on("connect", () => socket.write("PING\r\n"));
      socket.on("data", (data) => (socket.destroy(), resolve(data.toString().startsWith("+PONG"))));
    });
    if (pong) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

export class OwnRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port, empty (no persistence). */
  async restart(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    this.process = child;
    // Even when the test times out before its afterAll: never leave a server behind.
    process.once("exit", () => child.kill("SIGKILL"));
    if (!(await answersPing(this.port))) throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /** Gone at once (connections refused), as a crashed Redis. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.process = null;
  }

  /** Hangs: connections stay open and nothing answers, as an overloaded or partitioned Redis. */
  pause(): void {
    this.process?.kill("SIGSTOP");
  }

  resume(): void {
    this.process?.kill("SIGCONT");
  }
}
