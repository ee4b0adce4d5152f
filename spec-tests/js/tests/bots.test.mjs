// The housing bots (`domovoy housing`, a separate appservice process) driven by matrix-js-sdk
// residents, with time moved by the homeserver's test clock: verification by DM, readings with a
// decimal comma accepted and bad ones refused, bills built from readings with the average and the
// norm where readings are missing, a late payment's penalty, a payment through the sandbox, a
// repair request through all its statuses, meetings with and without quorum and a two-thirds
// question that fails with a simple majority, a tenant's vote refused, an encrypted DM answered
// in plain text, and the bots killed mid-command and restarted (each command answered once).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, ok, enc, sleep, expectStatus } from "../lib/server.mjs";
import { startHousingWorld, Resident, DEMO_REGISTRY, assertMatch } from "../lib/housing.mjs";

const LENINA5 = DEMO_REGISTRY.buildings[0];
let world;
let alice; // owner of Ленина 5, apartment 1 (one of two owners, 1/2)
let carol; // tenant of the same apartment
let dispatcher; // @uk-dispatcher, the management company's staff

const expectError = (res, status, errcode) => expectStatus(res, status, errcode);
const rubles = (text) => Number(text.replace(/\u00a0/g, "").replace(/\s/g, "").replace("₽", "").replace(",", "."));
const field = (body, label) => {
  const match = body.match(new RegExp(`${label}: ([0-9\\u00a0 ]+,\\d\\d)`));
  assert.ok(match, `"${label}" in ${body}`);
  return rubles(match[1]);
};

before(async () => {
  world = await startHousingWorld({ now: "2026-09-10T09:00:00Z" });
  alice = await Resident.create(world);
  carol = await Resident.create(world);
  dispatcher = await Resident.create(world, "uk-dispatcher");
});
after(async () => {
  await world?.stop();
});

test("a code sent to @domovoy in a direct message verifies the address; a wrong code is refused", async () => {
  const owner = world.codes.find((c) => c.building_id === LENINA5.id && c.apartment === "1" && c.role === "owner");
  const wrong = await alice.ask("domovoy", "!код 2222-2222-22");
  assertMatch(wrong, /Неверный код/, "a wrong code");
  const answer = await alice.ask("domovoy", `!код ${owner.code}`);
  assertMatch(answer, /Адрес подтверждён: .*Ленина, д\. 5, кв\. 1 \(собственник\)/, "the verification");
  assertMatch(answer, /комната собственников/, "an owner's rooms");
  // The code alone works too, and a tenant is told so.
  const tenant = world.codes.find((c) => c.building_id === LENINA5.id && c.apartment === "1" && c.role === "tenant");
  assertMatch(await carol.ask("domovoy", tenant.code), /Адрес подтверждён: .*кв\. 1 \(жилец\)/, "a tenant's code alone");
  // Reminders have a test of their own (below); these two hear none.
  assertMatch(await alice.ask("domovoy", "!не-напоминать"), /Напоминания выключены/, "mute");
  assertMatch(await carol.ask("domovoy", "!mute"), /Reminders are off/, "mute in English");
});

test("bots other than @domovoy refuse strangers with an explanation; unknown commands get help", async () => {
  const stranger = await Resident.create(world);
  assertMatch(await stranger.ask("meters", "!счётчики"), /только подтверждённым жителям.*!код/, "a stranger");
  assertMatch(await alice.ask("meters", "!абракадабра"), /Не знаю команды «!абракадабра».*!показания/s, "an unknown command");
  assertMatch(await alice.ask("meters", "!help"), /I take meter readings/, "help in English");
  assertMatch(await alice.ask("domovoy", "привет"), /Я — Домовой/, "plain text gets the help");
});

test("readings: a decimal comma is accepted, lower, implausible and malformed ones are refused, each with its reason", async () => {
  await world.setClock("2026-09-22T09:00:00Z");
  const meters = await alice.ask("meters", "!счётчики");
  assertMatch(meters, /ХВ-100294.*477,921/s, "the apartment's meters with the registry's reading");
  assertMatch(await alice.ask("meters", "!показания хвс 480,5"), /приняты: холодная вода, № ХВ-100294: 480,5 м³ \(расход 2,579 м³\)\. Расчётный период: сентябрь 2026/,
    "a reading with a decimal comma");
  assertMatch(await alice.ask("meters", "!показания хвс 479"), /не приняты: значение меньше предыдущего \(480,5 м³\)/, "a lower reading");
  assertMatch(await alice.ask("meters", "!показания хвс 600"), /не приняты: расход 119,5 м³ слишком велик/, "an implausible reading");
  assertMatch(await alice.ask("meters", "!показания хвс abc"), /Это не число/, "abc");
  assertMatch(await alice.ask("meters", "!показания хвс -5"), /отрицательными/, "-5");
  assertMatch(await alice.ask("meters", "!показания хвс 12,3,4"), /больше одной запятой/, "12,3,4");
  assertMatch(await alice.ask("meters", "!показания хвс"), /Напишите счётчик и значение/, "an empty value");
  // Another apartment's meter is not hers.
  const neighbours = LENINA5.apartments[1].meters[0].serial;
  assertMatch(await alice.ask("meters", `!показания ${neighbours} 500`), /не найден в вашей квартире/, "another apartment's meter");
  assertMatch(await alice.ask("meters", "!reading cold 481.25"), /Reading accepted: cold water.*481\.25 m³/, "English, with a dot");
  const history = await alice.ask("meters", "!история хвс");
  assertMatch(history, /480,5 м³ · 2,579 м³[\s\S]*481,25 м³ · 0,75 м³/, "the history with consumption");
});

test("bills: by reading, by the average and by the norm where readings are missing, with the due date", async () => {
  await world.setClock("2026-10-22T09:00:00Z");
  assertMatch(await alice.ask("meters", "!показания хвс 486,25"), /Расчётный период: октябрь 2026/, "October's reading");
  await world.setClock("2026-11-05T09:00:00Z");
  assertMatch(await alice.ask("billing", "!счёт 2026-11"), /ещё не выставлена/, "the current month");
  assertMatch(await alice.ask("billing", "!счёт 2026-08"), /квитанций нет/, "before billing started");
  assertMatch(await alice.ask("billing", "!счёт 2026-13"), /Месяц пишется так/, "a month that is not one");
  const october = await alice.ask("billing", "!счёт");
  assertMatch(october, /Квитанция за октябрь 2026 — лицевой счёт 780500000001/, "last month's bill by default");
  assertMatch(october, /Холодное водоснабжение: 5,00 м³ × 54,20\u00a0₽\/м³ \(по показаниям\) = 271,00/, "cold water by reading (486,25 − 481,25)");
  assertMatch(october, /Горячее водоснабжение: [0-9,]+ м³ × .*\(по нормативу/, "hot water by the norm: no readings");
  assertMatch(october, /Оплатить до: 10\.11\.2026/, "due on the 10th of the next month");
  await world.setClock("2026-12-05T09:00:00Z");
  const november = await alice.ask("billing", "!счёт 2026-11");
  assertMatch(november, /Холодное водоснабжение: [0-9,]+ м³ × .*\(по среднему/, "no November reading: the average");
});

test("a late payment's penalty: nothing for 30 days, then 1/300 of the key rate a day", async () => {
  const september = await alice.ask("billing", "!счёт 2026-09");
  const billed = field(september, "Начислено");
  // 2026-12-05 is the 56th day after 10 October: days 31..56 at 1/300 of 16.5%.
  const penalty = field(september, "Пени");
  assert.ok(penalty > 0, `a penalty on day 56: ${september}`);
  const expected = Math.round(billed * 100 * 0.165 / 300 * 26) / 100;
  assert.ok(Math.abs(penalty - expected) <= 0.02, `penalty ${penalty} ≈ ${expected} (26 days at 1/300 of 16.5% on ${billed})`);
  const october = await alice.ask("billing", "!счёт 2026-10");
  assert.equal(field(october, "Пени"), 0, "October's bill is 25 days overdue: no penalty yet");
});

test("a payment through the sandbox provider: refused amounts, then pending and succeeded", async () => {
  assertMatch(await alice.ask("billing", "!оплатить 0"), /больше нуля/, "zero");
  assertMatch(await alice.ask("billing", "!оплатить 99999999"), /больше задолженности/, "more than is due");
  assertMatch(await alice.ask("billing", "!оплатить много"), /Сумма пишется цифрами/, "not an amount");
  const balance = await alice.ask("billing", "!баланс");
  const due = field(balance, "К оплате");
  assert.ok(due > 0, balance);
  assertMatch(await alice.ask("billing", "!оплатить"), /создан и ждёт подтверждения банка/, "pending");
  assertMatch(await alice.reply("billing", /прошёл/), /Платёж P-\d+ на .* прошёл/, "succeeded, told asynchronously");
  assert.equal(field(await alice.ask("billing", "!баланс"), "К оплате"), 0, "nothing due after paying");
});

test("a supplier's bill for an apartment: told to its residents, shown with the month's bill; bad ones refused", async () => {
  const publish = (body, token = world.asToken, building = LENINA5.id) =>
    api(world.botsUrl, "POST", `/_domovoy/housing/v1/buildings/${building}/bills`, { token, body });
  const bill = { apartment: "1", period: "2026-11", service: "Водоотведение (Водоканал)", amount_kopecks: 51230, due_date: "2026-12-15" };
  ok(await publish(bill));
  assertMatch(await alice.reply("billing", /квитанция поставщика/), /Водоотведение \(Водоканал\) — 512,30\u00a0₽, оплатить до 2026-12-15/, "told");
  assertMatch(await alice.ask("billing", "!счёт 2026-11"), /Квитанции поставщиков[\s\S]*Водоотведение \(Водоканал\) — 512,30/, "shown with the bill");
  expectError(await publish({ ...bill, apartment: "999" }), 404, "M_NOT_FOUND");
  expectError(await publish({ ...bill, amount_kopecks: 0 }), 400, "M_INVALID_PARAM");
  expectError(await publish({ ...bill, period: "2026-13" }), 400, "M_INVALID_PARAM");
  expectError(await publish(bill, "not-a-token"), 401, "M_UNKNOWN_TOKEN");
  expectError(await publish(bill, world.asToken, "00000000-0000-0000-0000-000000000000"), 404, "M_NOT_FOUND");
});

test("personal data asked in a shared room is answered in private", async () => {
  const rooms = ok(await api(world.server.baseUrl, "GET", `/_domovoy/admin/v1/buildings/${LENINA5.id}`, { token: world.admin.access_token })).rooms;
  await alice.sayIn(rooms.general, "!баланс");
  const note = await alice.waitFor((e) => e.room_id === rooms.general && e.sender === "@domovoy:localhost");
  assertMatch(note.content.body, /Ответ — в личных сообщениях от @billing/, "the public note");
  assert.doesNotMatch(note.content.body, /₽|780500000001/, "nothing personal in the shared room");
  assertMatch(await alice.reply("billing", /Лицевой счёт/), /К оплате/, "the answer in the DM");
});

test("a repair request through all its statuses, seen by the resident; a complaint to the inspectorate", async () => {
  assertMatch(await alice.ask("repairs", "!заявка"), /Опишите, что случилось/, "no text");
  const created = await alice.ask("repairs", "!заявка не горит лампа на 3 этаже");
  const number = created.match(/№ (\d+)/)[1];
  assertMatch(created, /Заявка № \d+ зарегистрирована: плановая/, "a routine request with its number");
  const raised = await dispatcher.waitFor((e) => e.sender === "@repairs:localhost" && /Новая заявка № \d+/.test(e.content?.body ?? ""));
  const dispatchRoom = raised.room_id;
  for (const [command, status] of [["принять", /принята/], ["назначить", /назначен исполнитель — Иванов И\. И\./], ["в-работе", /в работе/], ["выполнено", /выполнена/]]) {
    await dispatcher.sayIn(dispatchRoom, `!${command} ${number}${command === "назначить" ? " Иванов И. И." : ""}`);
    assertMatch(await alice.reply("repairs", new RegExp(`Заявка № ${number} `)), status, `the resident told: ${command}`);
  }
  await dispatcher.sayIn(dispatchRoom, `!принять ${number}`);
  const refused = await dispatcher.waitFor((e) => e.room_id === dispatchRoom && /нельзя/.test(e.content?.body ?? ""));
  assert.ok(refused, "a done request cannot be accepted again");
  assertMatch(await alice.ask("repairs", "!заявки"), new RegExp(`№ ${number} .*выполнена`), "my requests");
  assertMatch(await alice.ask("repairs", `!жалоба ${number}`), /направлена в жилищную инспекцию/, "the complaint");
  assertMatch(await carol.ask("repairs", `!жалоба ${number}`), /не найдена среди ваших/, "someone else's request");
  // An emergency said in the general chat: only the number in public, raised at once.
  const rooms = ok(await api(world.server.baseUrl, "GET", `/_domovoy/admin/v1/buildings/${LENINA5.id}`, { token: world.admin.access_token })).rooms;
  await alice.sayIn(rooms.general, "!заявка прорвало трубу в подвале");
  const note = await alice.waitFor((e) => e.room_id === rooms.general && e.sender === "@domovoy:localhost" && /Заявка № \d+ принята/.test(e.content?.body ?? ""));
  assert.doesNotMatch(note.content.body, /кв\./, "no apartment in the shared room");
  assertMatch(await alice.reply("repairs", /аварийная/), /зарегистрирована: аварийная/, "the details in private");
  await dispatcher.waitFor((e) => e.room_id === dispatchRoom && /АВАРИЙНАЯ заявка/.test(e.content?.body ?? ""));
});

test("an encrypted message in a direct room gets a plain-text answer", async () => {
  const room = await alice.dm("meters");
  ok(await api(world.server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.encrypted/e${Date.now()}`, {
    token: alice.user.access_token,
    body: { algorithm: "m.megolm.v1.aes-sha2", ciphertext: "AwgAEnACgAk", device_id: "X", sender_key: "k", session_id: "s" },
  }));
  assertMatch(await alice.reply("meters", /зашифрован/), /без шифрования/, "how to open an unencrypted chat");
});

test("meetings: notice too short or threshold missing refused; quorum with a two-thirds question failing; a tenant refused; no quorum", async () => {
  // Today is 2026-12-05.
  const create = (start, end, questions) =>
    dispatcher.ask("meetings", `!собрание новое\nформа: очно-заочная\nначало: ${start}\nконец: ${end}\n${questions}`);
  assertMatch(await create("2026-12-10", "2026-12-20", "1. Совет дома | participants_majority"), /не позднее чем за 10 дней/, "notice too short");
  assertMatch(await create("2026-12-16", "2026-12-20", "1. Совет дома"), /нет порога/, "no threshold");
  assertMatch(await create("2026-12-16", "2026-12-20", "1. Совет дома | most"), /порог «most» неизвестен/, "unknown threshold");
  const first = await create("2026-12-16", "2026-12-20", "1. Избрать совет дома | participants_majority\n2. Капремонт крыши | all_votes_two_thirds");
  assertMatch(first, /Собрание № 1 объявлено/, "announced by the management company");
  assertMatch(await create("2026-12-16", "2026-12-20", "1. Поставить шлагбаум | all_votes_majority"), /Собрание № 2 объявлено/, "a second meeting");
  const notice = await alice.waitFor((e) => e.sender === "@meetings:localhost" && /Уведомление о проведении общего собрания собственников № 1/.test(e.content?.body ?? ""));
  const ownersRoom = notice.room_id;
  await alice.sayIn(ownersRoom, "!голос 1 1 за");
  assertMatch((await alice.waitFor((e) => e.room_id === ownersRoom && /голос не принимается/.test(e.content?.body ?? ""))).content.body,
    /идёт с 2026-12-16 по 2026-12-20/, "before the start");

  await world.setClock("2026-12-16T09:00:00Z");
  await alice.sayIn(ownersRoom, "!голос 1 1 против");
  const counted = await alice.waitFor((e) => e.room_id === ownersRoom && /Голос учтён/.test(e.content?.body ?? ""));
  assertMatch(counted.content.body, /вопрос 1 — против \(19,20\u00a0м²\)/, "half of 38,40 m²: one of two owners");
  // The meeting's own polls opened with the voting: answering one is a vote on its question.
  const poll = await alice.waitFor((e) => e.room_id === ownersRoom && e.type === "org.matrix.msc3381.poll.start" &&
    /Собрание № 1, вопрос 2/.test(e.content?.["org.matrix.msc3381.poll.start"]?.question?.["org.matrix.msc1767.text"] ?? ""),
  { anyType: true });
  ok(await api(world.server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(ownersRoom)}/send/org.matrix.msc3381.poll.response/p${Date.now()}`, {
    token: alice.user.access_token,
    body: { "m.relates_to": { rel_type: "m.reference", event_id: poll.event_id }, "org.matrix.msc3381.poll.response": { answers: ["no"] } },
  }));
  const byPoll = await alice.waitFor((e) => e.sender === "@meetings:localhost" && /Голос учтён: собрание № 1, вопрос 2/.test(e.content?.body ?? ""));
  assertMatch(byPoll.content.body, /против/, "a poll answer counted as a vote");
  assert.notEqual(byPoll.room_id, ownersRoom, "an undisclosed poll's answer is confirmed privately");
  assertMatch(await carol.ask("meetings", "!голос 1 1 за"), /только собственники.*жилец/, "a tenant's vote");
  assertMatch(await alice.ask("meetings", "!голос 1 3 за"), /вопросы с 1 по 2/, "an unknown question");
  assertMatch(await dispatcher.ask("meetings", "!бюллетень 1 999 1=за"), /нет квартиры «999»/, "a ballot for an unknown apartment");
  // Paper ballots of apartments 2.. until 60% of all votes take part: all for both questions.
  const total = LENINA5.apartments.reduce((sum, a) => sum + Math.round(Number(a.area) * 100), 0);
  let participating = Math.round(38.4 * 100 / 2);
  for (const apartment of LENINA5.apartments.slice(1)) {
    if (participating > total * 0.6) break;
    assertMatch(await dispatcher.ask("meetings", `!бюллетень 1 ${apartment.number} 1=за 2=за`), /внесён/, `ballot of ${apartment.number}`);
    participating += Math.round(Number(apartment.area) * 100);
  }
  assert.ok(participating > total / 2 && participating < (total * 2) / 3, "between a half and two thirds take part");
  assertMatch(await dispatcher.ask("meetings", "!бюллетень 2 2 1=за"), /внесён/, "one ballot in the second meeting");
  const running = await alice.ask("meetings", "!итоги 1");
  assertMatch(running, /Промежуточные итоги собрания № 1/, "the running tally");

  await world.setClock("2026-12-21T09:00:00Z");
  const protocol = await alice.waitFor((e) => e.room_id === ownersRoom && /ПРОТОКОЛ № 1\n/.test(e.content?.body ?? ""), { timeoutMs: 20000 });
  assertMatch(protocol.content.body, /Кворум имеется/, "quorum reached");
  assertMatch(protocol.content.body, /1\. Избрать совет дома[\s\S]*Решение: ПРИНЯТО/, "a participants' majority passes");
  assertMatch(protocol.content.body, /2\. Капремонт крыши[\s\S]*Решение: НЕ ПРИНЯТО/, "two thirds of all votes not reached");
  assertMatch(protocol.content.body, /Приложение: список собственников/, "the list of participants");
  const second = await alice.waitFor((e) => e.room_id === ownersRoom && /ПРОТОКОЛ № 2\n/.test(e.content?.body ?? ""), { timeoutMs: 20000 });
  assertMatch(second.content.body, /Кворум отсутствует/, "no quorum");
  assertMatch(second.content.body, /Решение: НЕ ПРИНЯТО/, "nothing decided without quorum");
  assertMatch(await alice.ask("meetings", "!голос 1 1 за"), /сейчас голос не принимается/, "a vote after the end");
  assertMatch(await alice.ask("meetings", "!итоги 1"), /ПРОТОКОЛ № 1/, "the protocol kept for !итоги");
});

test("reminders: readings in the window, a bill ready, a payment overdue — each once per resident and cause", async () => {
  // Today is 2026-12-21, already swept; a new resident is reminded from the next day on.
  const dave = await Resident.create(world);
  const code = world.codes.find((c) => c.building_id === LENINA5.id && c.apartment === "2" && c.role === "owner");
  assertMatch(await dave.ask("domovoy", code.code), /Адрес подтверждён/, "dave verified");
  await world.setClock("2026-12-22T09:00:00Z");
  const readings = await dave.waitFor((e) => e.sender === "@meters:localhost" && /Напоминание: с 20 по 25 число/.test(e.content?.body ?? ""), { timeoutMs: 20000 });
  assertMatch(readings.content.body, /кв\. 2/, "for his apartment");
  const ready = await dave.waitFor((e) => e.sender === "@billing:localhost" && /Квитанция за ноябрь 2026 готова/.test(e.content?.body ?? ""));
  assert.ok(ready);
  for (const month of ["сентябрь", "октябрь", "ноябрь"])
    await dave.waitFor((e) => e.sender === "@billing:localhost" && new RegExp(`Квитанция за ${month} 2026 просрочена`).test(e.content?.body ?? ""));
  // The next day: nothing again.
  await world.setClock("2026-12-23T09:00:00Z");
  await sleep(1500);
  await dave.pull(500);
  const again = dave.events.filter((e) => !e.consumed && e.type === "m.room.message" && /Напоминание|готова|просрочена/.test(e.content?.body ?? ""));
  assert.deepEqual(again.map((e) => e.content.body), [], "each reminder once");
  // Muted residents hear nothing (alice muted herself at the start).
  assert.equal(alice.events.filter((e) => /Напоминание: с 20/.test(e.content?.body ?? "")).length, 0, "alice muted");
});

test("the bots killed -9 mid-command and restarted: every command answered exactly once, and what was said meanwhile too", async () => {
  const before = alice.events.length;
  const commands = 8;
  for (let i = 0; i < commands; i += 1) await alice.say("meters", "!счётчики");
  await world.bots.kill9();
  for (let i = 0; i < 3; i += 1) await alice.say("meters", "!счётчики");
  await world.bots.restart();
  const answers = [];
  try {
    for (let i = 0; i < commands + 3; i += 1) answers.push(await alice.reply("meters", /^Счётчики — /, { timeoutMs: 30000 }));
  } catch (error) {
    throw new Error(`${error.message}\nanswers so far: ${answers.length}\nbots:\n${world.bots.output().slice(-3000)}\nserver:\n${world.server.stderr().slice(-3000)}`);
  }
  assert.equal(answers.length, commands + 3);
  // Nothing more comes: a second answer to any command would show up here.
  await sleep(3000);
  await alice.pull(1000);
  const extra = alice.events.slice(before).filter((e) => !e.consumed && e.sender === "@meters:localhost" && /^Счётчики — /.test(e.content?.body ?? ""));
  assert.equal(extra.length, 0, `no command answered twice: ${extra.length} extra`);
});
