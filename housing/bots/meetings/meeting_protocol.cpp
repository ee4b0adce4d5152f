#include "housing/bots/meetings/meeting_protocol.hpp"

#include "housing/bots/bot.hpp"
#include "housing/law/exact.hpp"
#include "housing/law/money.hpp"

namespace domovoy::housing {

std::string format_square_metres(const law::Exact& hundredths) {
  // The same digits as money: hundredths with a comma and grouped thousands, then the unit.
  auto text = law::format_rubles(law::round_half_up(hundredths));
  auto sign = text.rfind("\xC2\xA0₽");
  if (sign != std::string::npos) text = text.substr(0, sign);
  return text + "\xC2\xA0м²";
}

std::string threshold_name_ru(const std::string& threshold) {
  if (threshold == "all_votes_majority") return "более 50% голосов от общего числа голосов собственников";
  if (threshold == "all_votes_two_thirds") return "не менее 2/3 голосов от общего числа голосов собственников";
  return "большинство голосов принявших участие в собрании";
}

namespace {
std::string form_name(const std::string& form) {
  if (auto parsed = law::meeting_form_from_string(form)) return std::string(law::russian_name(*parsed));
  return form;
}
}  // namespace

RenderedProtocol render_protocol(const Meeting& meeting, const Building& building, const law::TallyResult& result,
                                 const std::vector<ProtocolParticipant>& participants, const std::string& counted_by,
                                 bool final_result) {
  RenderedProtocol out;
  auto number = std::to_string(meeting.number);
  auto title = std::string(final_result ? "ПРОТОКОЛ № " : "Промежуточные итоги собрания № ") + number;
  auto subtitle = "общего собрания собственников помещений в многоквартирном доме по адресу: " + building.address;
  auto header = "Форма проведения: " + form_name(meeting.form) + ". Голосование: с " + meeting.start + " по " + meeting.end + ".\n" +
                "Инициатор: " + (meeting.initiated_by == "company" ? "управляющая организация" : "собственник(и) помещений") +
                " (" + meeting.initiator + ").\n" +
                "Общее число голосов собственников: " + format_square_metres(result.total_votes) + " (100 %).\n" +
                "Приняли участие: " + format_square_metres(result.participants) + " (" +
                law::format_percent(result.participants, result.total_votes) + ").\n" +
                "Кворум " + (result.quorum ? "имеется" : "отсутствует") +
                " (ч. 3 ст. 45 ЖК РФ: более 50 % голосов)." + (result.quorum ? "" : " Собрание неправомочно, решения не приняты.") + "\n" +
                "Подсчёт: " + counted_by + ".";
  out.plain = title + "\n" + subtitle + "\n\n" + header + "\n\n";
  out.html = "<h3>" + html_escape(title) + "</h3><p>" + html_escape(subtitle) + "</p><p>" + html_escape(header) + "</p>";
  out.html += "<table><tr><th>№</th><th>Вопрос</th><th>Порог</th><th>За</th><th>Против</th><th>Воздержались</th><th>Решение</th></tr>";
  for (std::size_t i = 0; i < meeting.questions.size() && i < result.questions.size(); ++i) {
    const auto& question = meeting.questions[i];
    const auto& tally = result.questions[i];
    // Nobody took part: a share of participants' votes has no whole (and no decision is taken).
    auto share = [&](const law::Exact& part) {
      return format_square_metres(part) + " (" + (tally.base > 0 ? law::format_percent(part, tally.base) : std::string("—")) + ")";
    };
    auto decision = final_result ? (tally.taken ? "ПРИНЯТО" : "НЕ ПРИНЯТО") : (tally.taken ? "проходит" : "не проходит");
    out.plain += std::to_string(i + 1) + ". " + question.title + "\n   Порог: " + threshold_name_ru(question.threshold) +
                 "\n   За: " + share(tally.yes) + "; против: " + share(tally.no) + "; воздержались: " + share(tally.abstain) +
                 "\n   Решение: " + decision + "\n";
    out.html += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + html_escape(question.title) + "</td><td>" +
                html_escape(threshold_name_ru(question.threshold)) + "</td><td>" + html_escape(share(tally.yes)) + "</td><td>" +
                html_escape(share(tally.no)) + "</td><td>" + html_escape(share(tally.abstain)) + "</td><td><b>" + decision +
                "</b></td></tr>";
  }
  out.html += "</table>";
  if (final_result) {
    std::string list = "\nПриложение: список собственников, принявших участие (" + std::to_string(participants.size()) + "):\n";
    std::string html = "<p>Приложение: список собственников, принявших участие</p><table><tr><th>Помещение</th><th>Голоса</th><th>Решение</th></tr>";
    for (const auto& participant : participants) {
      auto how = participant.source == "paper" ? "бюллетень" : "электронно";
      list += "кв. " + participant.apartment + " (собственник " + std::to_string(participant.owner_index + 1) + "): " +
              format_square_metres(participant.weight) + ", " + how + "\n";
      html += "<tr><td>кв. " + html_escape(participant.apartment) + " / " + std::to_string(participant.owner_index + 1) + "</td><td>" +
              html_escape(format_square_metres(participant.weight)) + "</td><td>" + how + "</td></tr>";
    }
    html += "</table>";
    auto signatures = "\nПредседатель собрания: ____________\nСекретарь собрания: ____________\nСчётная комиссия: ____________\n"
                      "Протокол оформлен по приказу Минстроя России от 30.04.2025 № 266/пр; собственники уведомляются об итогах "
                      "в течение 10 дней (ч. 3 ст. 46 ЖК РФ).";
    out.plain += list + signatures;
    out.html += html + "<p>" + html_escape(signatures) + "</p>";
  }
  return out;
}

}  // namespace domovoy::housing
