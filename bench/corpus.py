"""Synthetic multilingual forum posts for the benchmarks, and a fast bulk loader for them.

Text: five languages (en, fr, es, pt, ar), each with a few hundred real words and expressions of
the Social and Solidarity Economy plus its common function words, drawn with a Zipf–Mandelbrot
law, about 100 words a post. Some things occur at known rates so that queries have a known
shape: one rare word (RARE_TERM), one "featured" glossary concept (its term in the post's
language), and glossary terms in general. Everything is deterministic for a given seed.

Loading: boards, authors, topics and posts go into the real tables with SQLAlchemy Core
``insert()`` and lists of dicts, each post with a valid ``tree_path`` and ``depth`` (the rule
of brain.ops.posts._place_in_tree). Core statements on a plain connection never pass through an
ORM Session, so the search outbox listener (an ``after_flush`` hook, brain.search.outbox) is not
triggered: the outbox stays empty and the index must be built with ``Indexer.rebuild``.
``load()`` returns the outbox row count so callers can check that.
"""

from __future__ import annotations

import random
import time
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, pairwise

from markupsafe import escape
from sqlalchemy import bindparam, func, insert, select, update

from brain import markup
from brain.models import Board, Post, Role, SearchOutbox, Topic, User
from brain.models.forum import MAX_TREE_DEPTH, PATH_SEGMENT, path_segment
from brain.ops.text import slugify

# Share of posts per language.
LANGUAGE_SHARES = {"en": 0.35, "fr": 0.20, "es": 0.20, "pt": 0.15, "ar": 0.10}
# A real word that appears nowhere in the vocabularies below (Brazilian quilombo communities).
RARE_TERM = "quilombola"
RARE_RATE = 1 / 2000  # of posts
FEATURED_RATE = 1 / 500  # of posts: the featured glossary concept, in the post's language
GLOSSARY_RATE = 1 / 100  # of posts: a term of any glossary concept, in the post's language
POSTS_PER_TOPIC = 10  # on average
MEMBERS_ONLY_SHARE = 0.10  # of topics, in the members-only board

# Zipf–Mandelbrot: the word of rank r is drawn with weight 1 / (r + OFFSET) ** EXPONENT.
EXPONENT = 1.05
OFFSET = 2.7


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    """Comma-separated entries: single words or multi-word expressions."""
    return tuple(" ".join(entry.split()) for entry in text.split(",") if entry.strip())


@dataclass(frozen=True)
class Vocabulary:
    language: str
    function_words: tuple[str, ...]  # most frequent first
    content: tuple[str, ...]  # most frequent first; some entries are expressions
    function_share: float  # of drawn tokens
    comma: str = ","
    question: str = "?"


VOCABULARIES = {
    "en": Vocabulary(
        "en",
        _words("""
            the of and to in a is that for on with as are be by this we it from or have not
            our at their they more can which but has an was all also about these how there
            what when who would than so if been into other some very many most should do
            our its them were will because between each such only both where those while
        """),
        _phrases("""
            cooperative, members, community, economy, social, workers, credit, local, women,
            market, policy, savings, finance, income, support, people, work, government,
            development, network, project, group, farmers, public, experience, access, loans,
            enterprise, solidarity, sector, informal, rural, training, funding, housing, law,
            democratic, collective, model, services, products, producers, price, city, region,
            country, countries, families, households, youth, education, health, care, rights,
            employment, wages, union, association, cooperation, governance, ownership, capital,
            fund, bank, interest rate, debt, repayment, insurance, mutual, trade, consumers,
            supply, agriculture, food, land, water, energy, waste, recycling, vendors, street,
            domestic workers, migrants, refugees, indigenous, territory, municipality,
            national, legal framework, regulation, registration, tax, subsidy, grants,
            procurement, partnership, platform, digital, data, technology, mobile money,
            payments, remittances, minimum wage, decent work, labour, protection, pension,
            inclusion, exclusion, poverty, inequality, gender, equality, participation,
            democracy, general assembly, vote, board of directors, meeting, decision,
            management, accountability, transparency, audit, accounts, surplus, profit,
            reinvestment, shares, dividend, equity, investment, investors, impact, evaluation,
            indicators, research, survey, study, report, evidence, case, practice, strategy,
            plan, budget, costs, revenue, sales, customers, quality, certification, organic,
            cocoa, coffee, cotton, textile, crafts, artisans, fishing, forest, seeds, harvest,
            social economy, worker cooperative, credit union, savings group, value chain,
            food security, social protection, collective bargaining, supply chain,
            participatory budgeting, mutual aid, public policy, community land trust,
            housing cooperative, cooperative bank, waste pickers, street vendors, build,
            create, share, learn, organise, improve, reduce, increase, need, needs, challenge,
            challenges, problem, solution, question, answer, idea, ideas, example, important,
            small, large, new, economic, financial, sustainable, environmental, cultural,
            political, global, international, african, latin american, year, years, month,
            time, today, crisis, pandemic, recovery, growth, transition, climate, change,
            resilience, Kenya, Ghana, India, Philippines, Quebec, Scotland, South Africa
        """),
        0.45,
    ),
    "fr": Vocabulary(
        "fr",
        _words("""
            de la le les et des à en un une du pour que qui dans est sur pas par au plus
            avec ce se nous il elle ils sont ou mais aux son sa leurs leur cette comme on
            été être tout tous aussi très entre sans sous dont ces mêmes donc car peut
        """),
        _phrases("""
            coopérative, membres, communauté, économie, sociale, travailleurs, crédit, locale,
            femmes, marché, politique, épargne, financement, revenus, soutien, personnes,
            travail, gouvernement, développement, réseau, projet, groupement, paysans,
            publique, expérience, accès, prêts, entreprise, solidarité, secteur, informel,
            rural, formation, fonds, logement, loi, démocratique, collectif, modèle, services,
            produits, producteurs, prix, ville, région, pays, familles, ménages, jeunes,
            éducation, santé, soins, droits, emploi, salaires, syndicat, association,
            coopération, gouvernance, propriété, capital, banque, taux d'intérêt, dette,
            remboursement, assurance, mutuelle, commerce, consommateurs, filière, agriculture,
            alimentation, terres, eau, énergie, déchets, recyclage, vendeurs, rue, travail
            domestique, migrants, réfugiés, autochtones, territoire, commune, nationale, cadre
            juridique, réglementation, immatriculation, impôt, subvention, subventions,
            marchés publics, partenariat, plateforme, numérique, données, technologie,
            paiement mobile, transferts, salaire minimum, travail décent, protection, retraite,
            inclusion, exclusion, pauvreté, inégalités, genre, égalité, participation,
            démocratie, assemblée générale, vote, conseil d'administration, réunion, décision,
            gestion, transparence, audit, comptes, excédents, bénéfices, réinvestissement,
            parts sociales, fonds propres, investissement, investisseurs, impact, évaluation,
            indicateurs, recherche, enquête, étude, rapport, preuves, pratiques, stratégie,
            plan, budget, coûts, recettes, ventes, clients, qualité, certification,
            biologique, cacao, café, coton, karité, artisanat, artisans, pêche, forêt,
            semences, récolte, chaîne de valeur, sécurité alimentaire, protection sociale,
            négociation collective, budget participatif, entraide, politique publique,
            coopérative d'habitation, banque coopérative, groupement féminin, soutenir,
            construire, créer, partager, apprendre, organiser, améliorer, réduire, augmenter,
            besoin, besoins, défi, défis, problème, solution, question, réponse, idée, idées,
            exemple, important, petite, grande, nouvelle, économique, financière, durable,
            environnementale, culturelle, mondiale, internationale, africaine, année, années,
            mois, temps, aujourd'hui, crise, pandémie, relance, croissance, transition,
            climat, changement, résilience, Sénégal, Burkina Faso, Québec, Maroc, Côte
            d'Ivoire, Mali, Cameroun, Bénin
        """),
        0.48,
    ),
    "es": Vocabulary(
        "es",
        _words("""
            de la que el en y a los se del las un por con no una su para es al lo como más
            pero sus le ya o este sí porque esta entre cuando muy sin sobre también me
            hasta hay donde quien desde todo nos durante todos uno les ni contra otros
        """),
        _phrases("""
            cooperativa, socios, comunidad, economía, social, trabajadores, crédito, local,
            mujeres, mercado, política, ahorro, financiamiento, ingresos, apoyo, personas,
            trabajo, gobierno, desarrollo, red, proyecto, grupo, campesinos, pública,
            experiencia, acceso, préstamos, empresa, solidaridad, sector, informal, rural,
            capacitación, fondo, vivienda, ley, democrático, colectivo, modelo, servicios,
            productos, productores, precio, ciudad, región, país, familias, hogares, jóvenes,
            educación, salud, cuidados, derechos, empleo, salarios, sindicato, asociación,
            cooperación, gobernanza, propiedad, capital, banco, tasa de interés, deuda, pago,
            seguro, mutual, comercio, consumidores, cadena, agricultura, alimentación, tierra,
            agua, energía, residuos, reciclaje, recicladores, vendedores ambulantes, calle,
            trabajadoras del hogar, migrantes, refugiados, indígenas, territorio, municipio,
            nacional, marco jurídico, regulación, registro, impuestos, subsidio, subsidios,
            compras públicas, alianza, plataforma, digital, datos, tecnología, pagos móviles,
            remesas, salario mínimo, trabajo decente, protección, jubilación, inclusión,
            exclusión, pobreza, desigualdad, género, igualdad, participación, democracia,
            asamblea general, voto, consejo de administración, reunión, decisión, gestión,
            rendición de cuentas, transparencia, auditoría, cuentas, excedentes, ganancias,
            reinversión, aportaciones, inversión, inversionistas, impacto, evaluación,
            indicadores, investigación, encuesta, estudio, informe, evidencia, prácticas,
            estrategia, plan, presupuesto, costos, ventas, clientes, calidad, certificación,
            orgánico, cacao, café, algodón, artesanía, artesanos, pesca, pescadores, bosque,
            semillas, cosecha, cadena de valor, soberanía alimentaria, protección social,
            negociación colectiva, presupuesto participativo, ayuda mutua, política pública,
            cooperativa de vivienda, banco cooperativo, empresa recuperada, apoyar,
            construir, crear, compartir, aprender, organizar, mejorar, reducir, aumentar,
            necesidad, necesidades, desafío, desafíos, problema, solución, pregunta,
            respuesta, idea, ideas, ejemplo, importante, pequeña, grande, nueva, económico,
            financiera, sostenible, ambiental, cultural, mundial, internacional,
            latinoamericana, año, años, mes, tiempo, hoy, crisis, pandemia, recuperación,
            crecimiento, transición, clima, cambio, resiliencia, México, Argentina, Colombia,
            Ecuador, Bolivia, Chile, Uruguay, Perú
        """),
        0.48,
    ),
    "pt": Vocabulary(
        "pt",
        _words("""
            de a o que e do da em um para é com não uma os no se na por mais as dos como
            mas foi ao ele das tem à seu sua ou ser quando muito há nos já está também só
            pelo pela até isso ela entre era depois sem mesmo aos ter seus quem nas
        """),
        _phrases("""
            cooperativa, cooperados, comunidade, economia, solidária, trabalhadores, crédito,
            local, mulheres, mercado, política, poupança, financiamento, renda, apoio,
            pessoas, trabalho, governo, desenvolvimento, rede, projeto, grupo, agricultores,
            pública, experiência, acesso, empréstimos, empreendimento, solidariedade, setor,
            informal, rural, formação, fundo, moradia, lei, democrático, coletivo, modelo,
            serviços, produtos, produtores, preço, cidade, região, país, famílias,
            domicílios, jovens, educação, saúde, cuidado, direitos, emprego, salários,
            sindicato, associação, cooperação, governança, propriedade, capital, banco
            comunitário, juros, dívida, pagamento, seguro, mútua, comércio, consumidores,
            cadeia produtiva, agricultura familiar, alimentação, terra, água, energia,
            resíduos, reciclagem, catadores, catadoras, vendedores ambulantes, rua,
            trabalhadoras domésticas, migrantes, refugiados, indígenas, território,
            município, nacional, marco legal, regulamentação, cadastro, impostos, subsídio,
            compras públicas, parceria, plataforma, digital, dados, tecnologia, pagamentos,
            remessas, salário mínimo, trabalho decente, proteção, aposentadoria, inclusão,
            exclusão, pobreza, desigualdade, gênero, igualdade, participação, democracia,
            assembleia geral, voto, conselho, reunião, decisão, gestão, autogestão,
            transparência, auditoria, contas, sobras, lucro, reinvestimento, quotas,
            investimento, investidores, impacto, avaliação, indicadores, pesquisa,
            levantamento, estudo, relatório, evidências, prática, práticas, estratégia,
            plano, orçamento, custos, receitas, vendas, clientes, qualidade, certificação,
            orgânico, cacau, café, algodão, artesanato, artesãos, pesca, pescadores,
            floresta, sementes, colheita, segurança alimentar, proteção social, negociação
            coletiva, orçamento participativo, ajuda mútua, políticas públicas, incubadora,
            apoiar, construir, criar, compartilhar, aprender, organizar, melhorar, reduzir,
            aumentar, necessidade, necessidades, desafio, desafios, problema, solução,
            pergunta, resposta, ideia, ideias, exemplo, importante, pequena, grande, nova,
            econômico, financeira, sustentável, ambiental, cultural, mundial, internacional,
            brasileira, ano, anos, mês, tempo, hoje, crise, pandemia, recuperação,
            crescimento, transição, clima, mudança, resiliência, Brasil, Moçambique, Angola,
            Portugal, Cabo Verde, Nordeste, Bahia, Pernambuco
        """),
        0.47,
    ),
    "ar": Vocabulary(
        "ar",
        _words("""
            في من على إلى عن مع هذا هذه التي الذي أن إن كان كانت لا ما هو هي نحن هم كل
            بعض أو ثم لكن قد لقد بين عند حتى إذا كما أيضا ذلك تلك هناك يمكن غير بعد قبل
            خلال حول لدى منذ دون جدا أكثر أي كيف
        """),
        _phrases("""
            التعاونية, الأعضاء, المجتمع, الاقتصاد, الاجتماعي, العمال, الائتمان, المحلي,
            النساء, السوق, السياسة, الادخار, التمويل, الدخل, الدعم, الناس, العمل, الحكومة,
            التنمية, الشبكة, المشروع, المجموعة, الفلاحين, العمومية, التجربة, الولوج,
            القروض, المقاولة, التضامن, القطاع, غير المهيكل, القروية, التكوين, الصندوق,
            السكن, القانون, الديمقراطية, الجماعي, النموذج, الخدمات, المنتجات, المنتجين,
            السعر, المدينة, الجهة, البلد, الأسر, العائلات, الشباب, التعليم, الصحة, الرعاية,
            الحقوق, التشغيل, الأجور, النقابة, الجمعية, التعاون, الحكامة, الملكية,
            رأس المال, البنك, سعر الفائدة, الديون, السداد, التأمين, التعاضدية, التجارة,
            المستهلكين, سلسلة الإنتاج, الفلاحة, الغذاء, الأراضي, الماء, الطاقة, النفايات,
            إعادة التدوير, الباعة المتجولين, الشارع, العاملات المنزليات, المهاجرين,
            اللاجئين, الأمازيغية, المجال الترابي, البلدية, الوطني, الإطار القانوني,
            التنظيم, التسجيل, الضرائب, الإعانات, المنح, الصفقات العمومية, الشراكة, المنصة,
            الرقمية, البيانات, التكنولوجيا, الأداء عبر الهاتف, التحويلات, الحد الأدنى للأجور,
            العمل اللائق, الحماية, التقاعد, الإدماج, الإقصاء, الفقر, الفوارق, المساواة,
            النوع الاجتماعي, المشاركة, الجمع العام, التصويت, مجلس الإدارة, الاجتماع,
            القرار, التسيير, المساءلة, الشفافية, التدقيق, الحسابات, الفائض, الأرباح,
            الاستثمار, المستثمرين, الأثر, التقييم, المؤشرات, البحث, الدراسة, التقرير,
            الممارسات, الاستراتيجية, الخطة, الميزانية, التكاليف, المداخيل, المبيعات,
            الزبناء, الجودة, الشهادة, البيولوجي, الزيتون, زيت الأركان, الصناعة التقليدية,
            الحرفيين, الصيد البحري, الصيادين, الغابة, البذور, المحصول, الأمن الغذائي,
            الحماية الاجتماعية, المفاوضة الجماعية, الميزانية التشاركية, التكافل,
            السياسات العمومية, تعاونية سكنية, دعم, بناء, إنشاء, تقاسم, تعلم, تنظيم, تحسين,
            تقليص, زيادة, الحاجة, الحاجيات, التحدي, التحديات, المشكلة, الحل, الحلول,
            السؤال, الجواب, الفكرة, الأفكار, مثال, مهم, صغيرة, كبيرة, جديدة, الاقتصادية,
            المالية, المستدامة, البيئية, الثقافية, العالمي, الدولي, السنة, السنوات, الشهر,
            الوقت, اليوم, الأزمة, الجائحة, التعافي, النمو, الانتقال, المناخ, التغير,
            الصمود, المغرب, تونس, مصر, الجزائر, الأردن, لبنان, موريتانيا, فلسطين
        """),
        0.30,
        comma="،",
        question="؟",
    ),
}


@dataclass(frozen=True)
class Concept:
    """A glossary concept as the corpus uses it: language → its terms, preferred first."""

    key: str
    terms: dict[str, tuple[str, ...]]


# Used when brain/search/glossary.tsv is missing: the corpus keeps the same shape, only the
# glossary-expansion query then finds nothing to expand.
FALLBACK_CONCEPTS = (
    Concept(
        "rosca",
        {
            "en": ("rotating savings and credit association", "tontine"),
            "fr": ("tontine",),
            "es": ("tanda", "pasanaku"),
            "pt": ("consórcio solidário",),
            "ar": ("جمعية ادخار دوارة",),
        },
    ),
    Concept(
        "sse",
        {
            "en": ("social and solidarity economy",),
            "fr": ("économie sociale et solidaire",),
            "es": ("economía social y solidaria",),
            "pt": ("economia social e solidária",),
            "ar": ("الاقتصاد الاجتماعي والتضامني",),
        },
    ),
    Concept(
        "fair-trade",
        {
            "en": ("fair trade",),
            "fr": ("commerce équitable",),
            "es": ("comercio justo",),
            "pt": ("comércio justo",),
            "ar": ("التجارة العادلة",),
        },
    ),
    Concept(
        "microcredit",
        {
            "en": ("microcredit", "microloan"),
            "fr": ("microcrédit",),
            "es": ("microcrédito",),
            "pt": ("microcrédito",),
            "ar": ("القروض الصغرى",),
        },
    ),
)


def glossary_concepts() -> tuple[Concept, ...]:
    """The app's glossary (brain/search/glossary.tsv) when present, else FALLBACK_CONCEPTS."""
    try:
        from brain.search import glossary

        found = glossary.concepts()
    except Exception:  # a glossary being written may be half-formed: the bench still runs
        found = ()
    usable = tuple(
        Concept(c.key, dict(c.terms))
        for c in found
        if all(c.terms.get(lang) for lang in LANGUAGE_SHARES)
    )
    return usable or FALLBACK_CONCEPTS


def featured_concept(concepts: tuple[Concept, ...]) -> Concept:
    """The first concept whose preferred English term is not already common vocabulary, so a
    query for it measures the expansion rather than a common word."""
    english = {entry.casefold() for entry in VOCABULARIES["en"].content}
    for concept in concepts:
        if concept.terms["en"][0].casefold() not in english:
            return concept
    return concepts[0]


class _Sampler:
    """Zipf–Mandelbrot draws over function words and content entries together."""

    def __init__(self, vocabulary: Vocabulary):
        def weights(entries):
            raw = [1 / (rank + OFFSET) ** EXPONENT for rank in range(1, len(entries) + 1)]
            return [w / sum(raw) for w in raw]

        function = [w * vocabulary.function_share for w in weights(vocabulary.function_words)]
        content = [w * (1 - vocabulary.function_share) for w in weights(vocabulary.content)]
        self.tokens = vocabulary.function_words + vocabulary.content
        self.cumulative = list(accumulate(function + content))
        self.content = vocabulary.content
        self.content_cumulative = list(accumulate(weights(vocabulary.content)))

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.tokens, cum_weights=self.cumulative, k=k)

    def draw_content(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.content, cum_weights=self.content_cumulative, k=k)


@dataclass
class GeneratedPost:
    """One generated post's text and which of the marked terms it carries."""

    language: str
    body: str
    rare: bool = False
    featured: bool = False
    glossary: bool = False


class TextGenerator:
    """Titles and bodies in the five languages; the same seed gives the same sequence."""

    def __init__(self, seed: int = 1, concepts: tuple[Concept, ...] | None = None):
        self.random = random.Random(seed)
        self.concepts = concepts or glossary_concepts()
        self.featured = featured_concept(self.concepts)
        self._samplers = {lang: _Sampler(v) for lang, v in VOCABULARIES.items()}
        self._languages = list(LANGUAGE_SHARES)
        self._language_cumulative = list(accumulate(LANGUAGE_SHARES.values()))

    def language(self) -> str:
        point = self.random.random() * self._language_cumulative[-1]
        return self._languages[bisect(self._language_cumulative, point)]

    def title(self, language: str) -> str:
        rng = self.random
        words = self._samplers[language].draw_content(rng, rng.randint(3, 7))
        return _capitalised(" ".join(words)) + (
            VOCABULARIES[language].question * (rng.random() < 0.3)
        )

    def post(self, language: str, words: int | None = None) -> GeneratedPost:
        rng = self.random
        vocabulary = VOCABULARIES[language]
        count = words or min(max(int(rng.gauss(95, 30)), 12), 260)  # entries; ~100 words
        tokens = self._samplers[language].draw(rng, count)
        post = GeneratedPost(language, "")
        if rng.random() < RARE_RATE:
            tokens.insert(rng.randrange(len(tokens) + 1), RARE_TERM)
            post.rare = True
        if rng.random() < FEATURED_RATE:
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(self.featured.terms[language]))
            post.featured = True
        if rng.random() < GLOSSARY_RATE:
            concept = rng.choice(self.concepts)
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(concept.terms[language]))
            post.glossary = True
            post.featured = post.featured or concept is self.featured
        post.body = self._paragraphs(tokens, vocabulary)
        return post

    def _paragraphs(self, tokens: list[str], vocabulary: Vocabulary) -> str:
        rng = self.random
        sentences, start = [], 0
        while start < len(tokens):
            length = rng.randint(6, 18)
            chunk = tokens[start : start + length]
            start += length
            if len(chunk) > 8 and rng.random() < 0.4:
                at = rng.randint(3, len(chunk) - 3)
                chunk[at] += vocabulary.comma
            end = vocabulary.question if rng.random() < 0.12 else "."
            sentences.append(_capitalised(" ".join(chunk)) + end)
        paragraphs = min(len(sentences), rng.choice((1, 1, 2, 2, 3)))
        cut = [round(i * len(sentences) / paragraphs) for i in range(paragraphs + 1)]
        return "\n\n".join(" ".join(sentences[a:b]) for a, b in pairwise(cut))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def body_html(source: str) -> str:
    """What brain.markup renders for plain paragraphs (no Markdown syntax is generated)."""
    return "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in source.split("\n\n"))


# -- loading ----------------------------------------------------------------------------------

BOARDS = (
    # slug, name, language, members_only
    ("cooperatives", "Cooperatives", "en", False),
    ("finance-solidaire", "Finance solidaire", "fr", False),
    ("economia-social", "Economía social y solidaria", "es", False),
    ("economia-solidaria", "Economia solidária", "pt", False),
    ("al-iqtisad-attadamuni", "الاقتصاد التضامني", "ar", False),
    ("members-lounge", "Members' lounge", "en", True),
)
FIRST_NAMES = _words(
    "Amina Awa Fatou Moussa Ibrahima Aïssata Lucía Mateo Camila Joaquín João Ana Thiago "
    "Mariana Chloé Julien Élodie Karim Yasmine Youssef Salma Omar Leila Grace Kwame Priya "
    "Rahul Maria Pedro Inès"
)
CHUNK = 5_000  # rows per executemany


@dataclass
class LoadStats:
    posts: int = 0
    topics: int = 0
    authors: int = 0
    boards: int = 0
    rare_posts: int = 0
    featured_posts: int = 0
    glossary_posts: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    outbox_rows: int = 0  # after the load: 0, because Core inserts bypass the ORM listener
    seconds: float = 0.0


def tree_position(post_id: int, parent: tuple[str, int] | None) -> tuple[str, int]:
    """(tree_path, depth) of a post below *parent* = (its path, its depth); as in
    brain.ops.posts._place_in_tree, replies past MAX_TREE_DEPTH become their parent's sibling."""
    if parent is None:
        return path_segment(post_id), 0
    parent_path, parent_depth = parent
    if parent_depth + 1 >= MAX_TREE_DEPTH:
        parent_path = parent_path[:-PATH_SEGMENT]
    path = parent_path + path_segment(post_id)
    return path, len(path) // PATH_SEGMENT - 1


def _next_id(connection, model) -> int:
    return (connection.scalar(select(func.max(model.id))) or 0) + 1


def load(
    engine,
    posts: int,
    *,
    seed: int = 1,
    authors: int = 500,
    generator: TextGenerator | None = None,
    progress=None,
) -> LoadStats:
    """Write *posts* synthetic posts (in topics, boards and by authors created here) into the
    database behind *engine*, which must not already hold these boards."""
    started = time.perf_counter()
    text = generator or TextGenerator(seed)
    rng = random.Random(seed + 1)  # structure (threads, authors, times) apart from the text
    stats = LoadStats()
    now = datetime.now(UTC).replace(microsecond=0)
    period = timedelta(days=730)
    with engine.begin() as connection:
        board_id, user_id = _next_id(connection, Board), _next_id(connection, User)
        topic_id, post_id = _next_id(connection, Topic), _next_id(connection, Post)

        board_rows = [
            {
                "id": board_id + i,
                "slug": slug,
                "name": name,
                "description": f"{name}: synthetic benchmark board",
                "language": language,
                "members_only": members_only,
                "position": i,
            }
            for i, (slug, name, language, members_only) in enumerate(BOARDS)
        ]
        connection.execute(insert(Board), board_rows)
        board_by_language = {row["language"]: row["id"] for row in board_rows[:5]}
        members_board = board_rows[5]["id"]
        stats.boards = len(board_rows)

        author_rows = []
        for i in range(authors):
            username = f"bench_author_{i}"
            author_rows.append(
                {
                    "id": user_id + i,
                    "username": username,
                    "username_key": username,
                    "username_skeleton": username,
                    "email": f"{username}@example.org",
                    "password_hash": "!",  # no password logs in to these accounts
                    "display_name": f"{rng.choice(FIRST_NAMES)} {i}",
                    "role": Role.MEMBER,
                    "created_at": now - period,
                    "approved_at": now - period,
                }
            )
        connection.execute(insert(User), author_rows)
        stats.authors = authors

        topic_rows: list[dict] = []
        post_rows: list[dict] = []
        ends: list[dict] = []  # each topic's first and last post
        step = period / max(posts, 1)
        while stats.posts < posts:
            size = min(
                1 + int(rng.expovariate(1 / (POSTS_PER_TOPIC - 1))), posts - stats.posts, 500
            )
            language = text.language()
            board = (
                members_board if rng.random() < MEMBERS_ONLY_SHARE else board_by_language[language]
            )
            title = text.title(language)
            opener = user_id + rng.randrange(authors)
            positions: list[tuple[int, str, int]] = []  # (id, tree_path, depth) in this topic
            pid_first = post_id + stats.posts
            first_at = None
            for n in range(size):
                pid = post_id + stats.posts
                created = now - period + step * stats.posts
                first_at = first_at or created
                if n == 0:
                    parent_id, place = None, tree_position(pid, None)
                    post_language, author = language, opener
                else:
                    # Half the replies answer the opening post, the rest an earlier reply.
                    parent = positions[0] if rng.random() < 0.5 else rng.choice(positions)
                    parent_id = parent[0]
                    place = tree_position(pid, parent[1:])
                    post_language = language if rng.random() < 0.9 else text.language()
                    author = user_id + rng.randrange(authors)
                positions.append((pid, *place))
                generated = text.post(post_language)
                stats.rare_posts += generated.rare
                stats.featured_posts += generated.featured
                stats.glossary_posts += generated.glossary
                stats.languages[post_language] = stats.languages.get(post_language, 0) + 1
                post_rows.append(
                    {
                        "id": pid,
                        "topic_id": topic_id + stats.topics,
                        "author_id": author,
                        "parent_id": parent_id,
                        "tree_path": place[0],
                        "depth": place[1],
                        "language": post_language,
                        "body_source": generated.body,
                        "body_html": body_html(generated.body),
                        "renderer_version": markup.RENDERER_VERSION,
                        "created_at": created,
                    }
                )
                stats.posts += 1
            topic_rows.append(
                {
                    "id": topic_id + stats.topics,
                    "board_id": board,
                    "author_id": opener,
                    "title": title,
                    "slug": slugify(title),
                    "language": language,
                    "created_at": first_at,
                    "last_activity_at": created,
                    "reply_count": size - 1,
                    "post_count": size,
                }
            )
            ends.append({"topic": topic_id + stats.topics, "first": pid_first, "last": pid})
            stats.topics += 1
            if len(post_rows) >= CHUNK or stats.posts == posts:
                # Topics first: posts point at them (and they at posts, set below).
                connection.execute(insert(Topic), topic_rows)
                connection.execute(insert(Post), post_rows)
                if progress is not None:
                    progress(len(post_rows))
                topic_rows, post_rows = [], []
        connection.execute(
            update(Topic)
            .where(Topic.id == bindparam("topic"))
            .values(first_post_id=bindparam("first"), last_post_id=bindparam("last")),
            ends,
        )
        stats.outbox_rows = connection.scalar(select(func.count(SearchOutbox.id))) or 0
    stats.seconds = time.perf_counter() - started
    return stats
